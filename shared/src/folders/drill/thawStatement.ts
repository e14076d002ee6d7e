import type { RetrievalTier } from '../../storage/thawArchived';

/**
 * What a drill retrieves from Glacier classes before it reads, said before the retrieval starts.
 * Coldkeep has no price table (prices differ by region and change): the statement gives what
 * the bill is made of (objects, bytes, classes, tier, days kept) and says that no figure is given.
 */
export interface ThawStatement {
  objects: number;
  /** Bytes retrieved: whole objects (a pack is retrieved whole for any of its files). */
  bytes: number;
  storageClasses: string[];
  tier: RetrievalTier;
  /** Days the retrieved copy stays readable (and billed as storage besides the archived one). */
  days: number;
  /** Always false: no price is computed. */
  priced: false;
  /** The cost, in words. */
  note: string;
}

export function thawStatement(
  objects: readonly { size: number; storageClass: string }[],
  tier: RetrievalTier,
  days: number,
): ThawStatement {
  const bytes = objects.reduce((n, o) => n + o.size, 0);
  const storageClasses = [...new Set(objects.map((o) => o.storageClass))].sort();
  return {
    objects: objects.length,
    bytes,
    storageClasses,
    tier,
    days,
    priced: false,
    note:
      `Retrieving ${objects.length} object(s), ${bytes} bytes, from ${storageClasses.join(', ')} (${tier} tier, kept ${days} day(s)) is billed: ` +
      'a fee per GB retrieved and per request for the tier, and the retrieved copy stored for those days. ' +
      'Coldkeep has no price table to put a figure on it: see the Amazon S3 pricing page for your region.',
  };
}
