import net from "node:net";
import type { FastifyRequest } from "fastify";

/**
 * The client's address as the limits count it: `req.ip`, which fastify takes from `X-Forwarded-For`
 * only when the connection comes from a configured trusted proxy (TRUST_PROXY), else from the
 * socket. An IPv4-mapped IPv6 address counts as the IPv4 address; an IPv6 address counts by its
 * /64 prefix (one subscriber usually holds a whole /64, so counting single addresses would give a
 * flooder 2^64 budgets).
 */
export function clientAddress(req: FastifyRequest): string {
  return addressKey(req.ip);
}

/** See clientAddress. */
export function addressKey(ip: string | undefined): string {
  if (!ip) return "?";
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return mapped[1]!;
  if (net.isIPv6(ip)) return ipv6Prefix64(ip);
  return ip;
}

function ipv6Prefix64(ip: string): string {
  const zone = ip.indexOf("%");
  const bare = zone >= 0 ? ip.slice(0, zone) : ip;
  const [head, tail] = bare.split("::") as [string, string | undefined];
  const left = head ? head.split(":") : [];
  const right = tail ? tail.split(":") : [];
  const groups = tail === undefined ? left : [...left, ...Array(8 - left.length - right.length).fill("0"), ...right];
  return groups.slice(0, 4).map((g) => (parseInt(g, 16) || 0).toString(16)).join(":") + "::/64";
}

/** Whether an address is the machine itself (127.0.0.0/8, ::1, or IPv4-mapped loopback). */
export function isLoopback(ip: string | undefined): boolean {
  if (!ip) return false;
  const v4 = /^(?:::ffff:)?(\d+)\.\d+\.\d+\.\d+$/i.exec(ip);
  if (v4) return v4[1] === "127";
  return ip === "::1";
}

/**
 * A request from the machine itself, not relayed: its address is loopback and it carries no
 * forwarding header. A reverse proxy on the same host that is not configured as trusted makes every
 * outside request look local; its forwarding headers give it away.
 */
export function isLocalRequest(req: FastifyRequest): boolean {
  const h = req.headers;
  if (h["x-forwarded-for"] !== undefined || h.forwarded !== undefined || h["x-real-ip"] !== undefined) return false;
  return isLoopback(req.ip) && isLoopback(req.socket?.remoteAddress ?? req.ip);
}
