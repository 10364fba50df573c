/**
 * The commands a chat app lists in its command menu, per kind of chat: residents in private chats,
 * officers and staff in groups. Each entry names the command and the translation key of its
 * one-line description; the channel registers them in every language it serves.
 */
export interface MenuCommand {
  command: string;
  descriptionKey: string;
}

/** Resident commands (answered in private chats by the resident conversation). */
export const PRIVATE_COMMANDS: readonly MenuCommand[] = ["start", "menu", "help", "language", "emergency"].map((command) => ({
  command,
  descriptionKey: `common:command_menu.${command}`,
}));

/** Commands answered in officers' and staff groups (groupCommands.ts, groupTurn.ts, campaigns/staffTurn.ts). */
export const GROUP_COMMANDS: readonly MenuCommand[] = ["help", "queue", "mine", "overdue", "tip", "stats", "bind", "content", "campaigns", "campaign"].map(
  (command) => ({ command, descriptionKey: `officer:menu.${command}` }),
);
