/**
 * The key of an emailed link, from its path segment. The service writes keys
 * percent-encoded (a verification key holds colons); keys themselves never
 * hold a "%", so decoding once is safe whether or not the router already did.
 */
export function linkKey(segment: string): string {
  if (!segment.includes("%")) return segment;
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment; // malformed: the service will call it invalid
  }
}
