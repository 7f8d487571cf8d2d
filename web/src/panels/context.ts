// What every panel of the dashboard is given.

import type { Schemas, StrideClient } from "../api.js";

export interface Context {
  api: StrideClient;
  teamId: string;
  me: Schemas["WhoAmI"];
  /** The team as it is now (its channels, members, settings), read once per change. */
  team: Schemas["TeamView"] | undefined;
  /** The instant the page replays, when looking back; undefined for now. */
  asOf: string | undefined;
  /** The newest position heard on the live stream: reads wait until they include it. */
  position: number;
  /** Changes whenever something changed: panels load again. */
  round: number;
  /** Says that this page changed something. */
  changed: () => void;
}

/** The query every read sends: the instant looked at, and the position it must include. */
export function looking(ctx: Context): { as_of?: string; min_position?: number } {
  return {
    ...(ctx.asOf === undefined ? {} : { as_of: ctx.asOf }),
    ...(ctx.position > 0 ? { min_position: ctx.position } : {}),
  };
}

/** Whether the person may change things now: not while looking back, not as a viewer. */
export function mayAct(ctx: Context): boolean {
  return ctx.asOf === undefined && ctx.me.member.role !== "viewer";
}

/** The team's channels that are not retired: those a goal, a post or a measurement may name. */
export function liveChannels(ctx: Context): Schemas["ChannelView"][] {
  return ctx.team?.channels.filter((c) => c.status !== "retired") ?? [];
}
