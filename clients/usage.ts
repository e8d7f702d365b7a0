// Read Claimbase through openapi-fetch, typed by the types generated from its schema.
// `make clients` type-checks this file with `tsc --strict`; it is an example, not a test.
import createClient from "openapi-fetch";

import type { components, paths } from "./generated/schema";

type Claim = components["schemas"]["Claim"];
type FeedChange = components["schemas"]["FeedChange"];

export interface Tour {
  listed: string[];
  claim: { id: string; text: string; verdict: string; stances: string[] };
  changes: FeedChange[];
  cursor: string;
}

export async function tour(baseUrl: string, token?: string): Promise<Tour> {
  const api = createClient<paths>({
    baseUrl,
    headers: token ? { Authorization: `Token ${token}` } : {},
  });

  const listed = await api.GET("/api/v1/claims/", {
    params: { query: { page_size: 5, status: "published" } },
  });
  if (listed.error) throw new Error(`listing claims failed: ${listed.error.detail}`);
  // The JSON page (a JSON-LD ItemList comes only with Accept: application/ld+json).
  if (!("results" in listed.data)) throw new Error("the claim list came back as JSON-LD");
  const page = listed.data;
  const first: Claim | undefined = page.results[0];
  if (!first) throw new Error("no claims");

  const read = await api.GET("/api/v1/claims/{id}/", { params: { path: { id: first.id } } });
  if (read.error) throw new Error(`reading ${first.id} failed: ${read.error.detail}`);
  // The JSON representation (JSON-LD comes only with Accept: application/ld+json).
  if (!("citations" in read.data)) throw new Error(`${first.id} came back as JSON-LD`);
  const claim: Claim = read.data;

  const feed = await api.GET("/api/v1/changes/", { params: { query: { limit: 10 } } });
  if (feed.error) throw new Error(`reading the change feed failed: ${feed.error.detail}`);

  return {
    listed: page.results.map((listedClaim) => listedClaim.id),
    claim: {
      id: claim.id,
      text: claim.text,
      verdict: claim.verdict.verdict,
      stances: claim.citations.map((citation) => citation.stance),
    },
    changes: feed.data.results,
    cursor: feed.data.cursor,
  };
}
