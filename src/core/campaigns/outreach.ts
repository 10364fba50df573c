/** The queue whose group is the outreach staff's. */
export const OUTREACH_QUEUE_ID = "outreach:VN";

/** Campaigns and content are run by outreach staff and administrators; officers, commanders and legal staff are refused. */
export const CAMPAIGN_ROLES: readonly string[] = ["outreach", "admin"];
