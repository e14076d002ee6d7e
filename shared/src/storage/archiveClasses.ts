/**
 * Which storage classes hold objects that cannot be read until they are restored (thawed).
 * Defined once, for the table restore, the folder restore and the folder verify.
 */
const ARCHIVE_CLASSES: ReadonlySet<string> = new Set(['GLACIER', 'DEEP_ARCHIVE']);

/** The object must be thawed before it can be read. */
export function isArchivedClass(storageClass: string | undefined): boolean {
  return ARCHIVE_CLASSES.has(storageClass ?? '');
}

/**
 * The object may need a thaw: an archive class, or INTELLIGENT_TIERING, whose opt-in archive
 * tiers only a HeadObject reveals (its ArchiveStatus).
 */
export function mayBeArchived(storageClass: string | undefined): boolean {
  return isArchivedClass(storageClass) || storageClass === 'INTELLIGENT_TIERING';
}
