import { ACTIONS } from "../actions/catalog.ts";

/** The queue whose group is the outreach staff's. */
export const OUTREACH_QUEUE_ID = "outreach:VN";

/** Campaigns and content are run by outreach staff and administrators; officers, commanders and legal staff are refused (the action table's `campaign.*` and `content.*` rows). */
export const CAMPAIGN_ROLES: readonly string[] = ACTIONS["campaign.create"].roles;
