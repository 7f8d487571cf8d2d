// The web app's side of the API: the typed client on the page's own origin, the tokens kept
// in the browser's session storage (gone when the tab closes), and problems turned into the
// sentence a person reads.

import {
  createStrideClient,
  type Problem,
  type Schemas,
  type StrideClient,
} from "../../clients/typescript/src/index.js";

export type { Schemas, StrideClient };

/** What a failed call says to a person: the problem's `detail` and its fields, never a stack. */
export class ApiProblem extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string | undefined,
    readonly fields: { field: string; message: string }[] = [],
  ) {
    super(message);
  }
}

const UNREACHABLE =
  "Stride could not be reached. Check your connection, then try again.";

/**
 * The data of a call, or an `ApiProblem` thrown with the problem's detail. Works with every
 * operation of the typed client: `await ok(api.GET("/v1/teams/{team_id}", {...}))`.
 */
export async function ok<T>(
  call: Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<T> {
  let answer: { data?: T; error?: unknown; response: Response };
  try {
    answer = await call;
  } catch {
    throw new ApiProblem(UNREACHABLE, 0, undefined);
  }
  const { data, error, response } = answer;
  if (response.ok) return data as T;
  const problem = problemOf(error, response.status);
  // A token that stopped signing in (revoked, its member removed, a provider's token
  // expired): the page that holds it hears so once, wherever the call was made.
  if (response.status === 401) {
    window.dispatchEvent(new CustomEvent(SIGNED_OUT, { detail: problem.message }));
  }
  throw problem;
}

/** The event a 401 raises on `window`, its `detail` the problem's sentence. */
export const SIGNED_OUT = "stride:signed-out";

function problemOf(error: unknown, status: number): ApiProblem {
  const problem = (typeof error === "object" && error !== null ? error : {}) as Partial<Problem>;
  const fields = Array.isArray(problem.errors) ? problem.errors : [];
  const detail =
    typeof problem.detail === "string" && problem.detail.length > 0
      ? problem.detail
      : status >= 500
        ? "Stride could not answer just now. Try again in a moment."
        : `The request was refused (HTTP ${status}).`;
  return new ApiProblem(detail, status, problem.code, fields);
}

/** A sentence for any error: an `ApiProblem`'s detail, else a general one. */
export function sentence(error: unknown): string {
  if (error instanceof ApiProblem) {
    const fields = error.fields.map((f) => `${f.field}: ${f.message}`);
    return fields.length > 0 ? `${error.message} (${fields.join("; ")})` : error.message;
  }
  return "Something went wrong in this page. Reload it and try again.";
}

/** A client on this page's origin, with a token or none. */
export function client(token?: string): StrideClient {
  return createStrideClient({ baseUrl: window.location.origin, token });
}

/** A token kept for this tab only: signing out or closing the tab forgets it. */
export const tokens = {
  get(key: string): string | undefined {
    try {
      return window.sessionStorage.getItem(`stride.${key}`) ?? undefined;
    } catch {
      return undefined;
    }
  },
  set(key: string, token: string): void {
    window.sessionStorage.setItem(`stride.${key}`, token);
  },
  forget(key: string): void {
    window.sessionStorage.removeItem(`stride.${key}`);
  },
};

/** A date (YYYY-MM-DD) as a person reads it, in their locale, without shifting the day. */
export function day(date: string): string {
  const [y, m, d] = date.split("-").map(Number);
  return new Date(Date.UTC(y ?? 2000, (m ?? 1) - 1, d ?? 1)).toLocaleDateString(undefined, {
    timeZone: "UTC",
    year: "numeric",
    month: "short",
    day: "numeric",
  });
}

/** An instant as a person reads it, in their time zone. */
export function instant(at: string): string {
  return new Date(at).toLocaleString(undefined, {
    year: "numeric",
    month: "short",
    day: "numeric",
    hour: "2-digit",
    minute: "2-digit",
  });
}

/** A number with its unit of progress: 0.4567 → "46%". */
export function percent(value: number | null | undefined): string {
  return value === null || value === undefined ? "–" : `${Math.round(value * 100)}%`;
}

/** A quantity as a person reads it, grouped: 12345.6 → "12,346". */
export function quantity(value: number | null | undefined): string {
  return value === null || value === undefined
    ? "–"
    : value.toLocaleString(undefined, { maximumFractionDigits: 1 });
}
