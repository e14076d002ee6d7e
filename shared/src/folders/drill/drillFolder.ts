import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AwsClients } from '../../base/aws/clients';
import { withAftermath } from '../../base/errors/withAftermath';
import { type JobOptions, throwIfAborted } from '../../base/jobs/job';
import { isArchivedClass, mayBeArchived } from '../../storage/archiveClasses';
import { archiveStates } from '../../storage/thawArchived';
import { listBlobs, listPacks, type StoredObject } from '../repository/blobStore';
import type { DamageRecording } from '../repository/damageRecords';
import { blobKey, packKey, s3SourceUri, sourceLocation } from '../repository/layout';
import { readSnapshot, resolveSnapshotId } from '../repository/snapshotCatalog';
import { snapshotEntries } from '../repository/snapshotEntries';
import { SourceKeyring } from '../repository/sourceKeyring';
import type { FileEntry } from '../repository/snapshotManifest';
import { recordFound } from '../restore/damageFound';
import type { SnapshotRestoreInput, SnapshotRestoreProgress } from '../restore/restoreReport';
import { restoreEntries } from '../restore/restorePhase';
import type { RestoreStart, SnapshotRestoreRun } from '../restore/restoreRun';
import { RestoreTarget } from '../restore/restoreTarget';
import { thawArchivedObjects } from '../restore/thawPhase';
import { verifySnapshot } from '../verify/verifySnapshot';
import { checkRestoredFile } from './checkRestored';
import {
  DEFAULT_DRILL_FILES,
  type DrillFolderInput,
  type DrillFolderProgress,
  type DrillFolderReport,
  type FolderDrillMismatch,
  type NotRead,
} from './drillReport';
import { chooseSample, countByKind, type SampleCandidate, storageKindOf } from './drillSample';
import { type ThawStatement, thawStatement } from './thawStatement';

/**
 * A restore drill of a folder snapshot (the latest, or a given one): a sample of its files (a
 * stated number, and at least one of each storage kind) is restored into a temp folder through
 * the restore's own phases (each blob's SHA-256 checked before a file appears), each restored
 * file is read back from the disk and hashed again, then the verify of every blob the snapshot
 * needs runs (presence, size, damage records). Data in Glacier classes is checked in the
 * listing and said not read, unless `thaw`: then the sample takes it too and it is retrieved
 * first, its cost stated before (progress phase "thaw"). The time from the start to the sample
 * on disk is the measured restore time. The temp folder is removed on every way out unless `keep`.
 */
export async function drillFolder(
  clients: AwsClients,
  input: DrillFolderInput,
  { signal, onProgress }: JobOptions<DrillFolderProgress> = {},
): Promise<DrillFolderReport> {
  const started = new Date();
  throwIfAborted(signal);
  const loc = sourceLocation(input.bucket, input.prefix, input.source);
  const progress: DrillFolderProgress = {
    phase: 'plan',
    source: loc.source,
    files: 0,
    filesDone: 0,
    bytes: 0,
    bytesDone: 0,
  };
  const emit = (extra?: Partial<DrillFolderProgress>): void => onProgress?.({ ...progress, ...extra });
  emit();

  // Plan: the catalog (the snapshot and its manifest), then what is stored (present, storage class).
  const snapshotId = await resolveSnapshotId(clients.s3, loc, input.snapshotId ?? 'latest', signal);
  progress.snapshotId = snapshotId;
  // An encrypted source's manifest and trees open with its key (`keys`, or a KMS wrap).
  const keyring = new SourceKeyring(clients, loc, input.keys, signal);
  const manifest = await readSnapshot(clients.s3, loc, snapshotId, signal, keyring);
  const codec = await keyring.codecFor(manifest);
  // Format 3 holds the entries in trees: every one is read (and so checked) here.
  const { entries } = await snapshotEntries(clients.s3, loc, manifest, { signal, codec });
  const files = entries.filter((e): e is FileEntry => e.type === 'file');
  const [blobs, packs] = await Promise.all([
    files.some((f) => f.pack === undefined) ? listBlobs(clients.s3, loc, signal) : new Map<string, StoredObject>(),
    files.some((f) => f.pack !== undefined) ? listPacks(clients.s3, loc, signal) : new Map<string, StoredObject>(),
  ]);
  // Blob objects are named by SHA-256, or in an encrypted source by the codec's keyed name of it.
  const keyOf = (f: FileEntry): string =>
    f.pack === undefined ? blobKey(loc, codec.blobName(f.sha256)) : packKey(loc, f.pack);
  const objectOf = (f: FileEntry): StoredObject | undefined =>
    f.pack === undefined ? blobs.get(codec.blobName(f.sha256)) : packs.get(f.pack);
  // An empty file in a pack needs no bytes of it; any other file reads its object.
  const needsRead = (f: FileEntry): boolean => f.size > 0 || f.pack === undefined;

  const notRead = new NotReadTally();
  const candidates: SampleCandidate[] = [];
  const kinds: { kind: SampleCandidate['kind'] }[] = [];
  for (const file of files) {
    const object = objectOf(file);
    const kind = storageKindOf(file, object);
    kinds.push({ kind });
    // Missing objects are the verify's to name (it names every file that needs them).
    if (!object) continue;
    const archived = needsRead(file) && isArchivedClass(object.storageClass);
    if (archived && !input.thaw) notRead.add(object);
    else candidates.push({ file, kind, key: keyOf(file), object, archived });
  }
  let sample = chooseSample(candidates, input.files ?? DEFAULT_DRILL_FILES, input.random);
  // Intelligent-Tiering: only a HeadObject tells whether an object sits in an archive tier.
  const tiering = [
    ...new Set(
      sample.filter((c) => needsRead(c.file) && !c.archived && mayBeArchived(c.object.storageClass)).map((c) => c.key),
    ),
  ];
  if (tiering.length) {
    const asleep = new Set(
      (await archiveStates(clients.s3, loc.bucket, tiering, signal))
        .filter((s) => s.state !== 'readable')
        .map((s) => s.key),
    );
    for (const c of sample) if (asleep.has(c.key)) c.archived = true;
    if (!input.thaw) {
      for (const c of sample) if (c.archived) notRead.add(c.object);
      sample = sample.filter((c) => !c.archived);
    }
  }
  const sampleFiles = sample.map((c) => c.file);
  progress.files = sampleFiles.length;
  progress.bytes = sampleFiles.reduce((n, f) => n + f.size, 0);

  const tempFolder = await mkdtemp(join(input.tempDir ?? tmpdir(), 'coldkeep-drill-'));
  const warnings: string[] = [];
  let tempRemoved = false;
  try {
    // The restore's own phases, on the sample: thaw (with wait), then the files into the temp folder.
    const restoreInput: SnapshotRestoreInput = {
      bucket: input.bucket,
      ...(input.prefix !== undefined ? { prefix: input.prefix } : {}),
      source: input.source,
      snapshotId,
      target: tempFolder,
      wait: true,
      ...(input.tier ? { tier: input.tier } : {}),
      ...(input.days ? { days: input.days } : {}),
      ...(input.pollIntervalMs ? { pollIntervalMs: input.pollIntervalMs } : {}),
      ...(input.concurrency ? { concurrency: input.concurrency } : {}),
    };
    const restoreProgress: SnapshotRestoreProgress = {
      phase: 'plan',
      source: loc.source,
      snapshotId,
      files: progress.files,
      filesDone: 0,
      bytes: progress.bytes,
      bytesDone: 0,
    };
    const start: RestoreStart = {
      clients,
      input: restoreInput,
      keyring,
      ...(signal ? { signal } : {}),
      loc,
      progress: restoreProgress,
      emit: (extra) => {
        const p = { ...restoreProgress, ...extra };
        progress.phase = p.phase === 'thaw' ? 'thaw' : 'restore';
        progress.filesDone = p.filesDone;
        progress.bytesDone = p.bytesDone;
        emit(p.waitingFor !== undefined && p.phase === 'thaw' ? { waitingFor: p.waitingFor } : {});
      },
    };
    const thawKeys = [...new Set(sample.filter((c) => c.archived).map((c) => c.key))];
    let thawed: ThawStatement | undefined;
    if (thawKeys.length) {
      const objects = thawKeys.map((key) => sample.find((c) => c.key === key)!.object);
      thawed = thawStatement(objects, input.tier ?? 'Standard', input.days ?? 7);
      // The cost is said before anything is retrieved.
      progress.phase = 'thaw';
      progress.thaw = thawed;
      emit();
    }
    const plan = { snapshotId, files: sampleFiles, dirs: [], links: [], archived: thawKeys, codec };
    await thawArchivedObjects(start, plan);
    const target = await RestoreTarget.open(tempFolder);
    const run: SnapshotRestoreRun = { ...start, ...plan, target, skippedExisting: [], skippedFiles: 0, damaged: [] };
    await restoreEntries(run);
    const restoreMs = Date.now() - started.getTime();

    // Check: what the restore refused (damaged content), then every other sampled file read back from the disk.
    progress.phase = 'check';
    emit();
    const checkStart = Date.now();
    const byPath = new Map(sample.map((c) => [c.file.path, c]));
    const mismatches: FolderDrillMismatch[] = [];
    const refused = new Set<string>();
    for (const d of run.damaged) {
      const details = (d.details ?? {}) as { path?: string; paths?: string[]; key?: string; actual?: string };
      for (const path of details.paths ?? (details.path ? [details.path] : [])) {
        const c = byPath.get(path);
        if (!c || refused.has(path)) continue;
        refused.add(path);
        mismatches.push({
          path,
          kind: c.kind,
          problem: 'hash-mismatch',
          key: details.key ?? c.key,
          detail: details.actual
            ? `content hashes to ${details.actual}, the snapshot says ${c.file.sha256}`
            : d.message,
        });
      }
    }
    let filesChecked = 0;
    for (const c of sample) {
      throwIfAborted(signal);
      if (refused.has(c.file.path)) continue;
      const found = await checkRestoredFile(c.file, target.destination(c.file.path), signal);
      filesChecked++;
      if (found) mismatches.push({ path: c.file.path, kind: c.kind, key: c.key, ...found });
    }
    mismatches.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    const checkMs = Date.now() - checkStart;
    const recording: DamageRecording = run.damaged.length
      ? await recordFound(
          clients.s3,
          loc,
          snapshotId,
          run.damaged.map((d) => {
            const details = d.details as { key: string; path: string; paths?: string[] };
            return { key: details.key, problem: 'hash-mismatch', paths: details.paths ?? [details.path] };
          }),
          signal,
          input.storage,
          codec.sealed,
        )
      : { recorded: [] };

    // Verify: every blob the snapshot needs, not only the sample's.
    progress.phase = 'verify';
    emit();
    const verifyStart = Date.now();
    const verify = await verifySnapshot(
      clients,
      {
        bucket: input.bucket,
        ...(input.prefix !== undefined ? { prefix: input.prefix } : {}),
        source: input.source,
        snapshotId,
        readData: input.verifyReadData ?? 'none',
        ...(input.keys ? { keys: input.keys } : {}),
        ...(input.storage ? { storage: input.storage } : {}),
        ...(input.concurrency ? { concurrency: input.concurrency } : {}),
      },
      { ...(signal ? { signal } : {}) },
    );
    const verifyMs = Date.now() - verifyStart;

    const limit = input.mismatchLimit ?? 10;
    const problems: string[] = [];
    if (mismatches.length) {
      problems.push(
        `${mismatches.length} sampled file(s) did not restore to their SHA-256: ` +
          mismatches
            .slice(0, limit)
            .map((m) => `${m.path} (${m.kind}, ${m.problem})`)
            .join(', ') +
          (mismatches.length > limit ? ', …' : '') +
          '.',
      );
    }
    if (!verify.ok) {
      problems.push(
        `The verify found ${verify.problems.length} damaged or missing blob(s): ` +
          verify.problems
            .slice(0, 3)
            .map((p) => `${p.problem} ${p.key} (${p.paths.join(', ')})`)
            .join('; ') +
          (verify.problems.length > 3 ? '; …' : '') +
          '.',
      );
    }
    if (recording.error) warnings.push(`The damage found could not be recorded: ${recording.error}`);
    if (verify.recording.error) warnings.push(`The verify could not record the damage: ${verify.recording.error}`);
    const notReadFacts = notRead.facts();
    if (notReadFacts) {
      warnings.push(
        `${notReadFacts.files} file(s) (${notReadFacts.objects} object(s), ${notReadFacts.bytes} bytes) sit in ` +
          `${notReadFacts.storageClasses.join(', ')}: checked in the listing, not read. A drill with thaw retrieves them (billed).`,
      );
    }
    if (!files.length) warnings.push('The snapshot holds no files: nothing to restore.');

    progress.phase = 'cleanup';
    emit();
    tempRemoved = await cleanUp(tempFolder, input.keep, warnings);
    return {
      kind: 'folder',
      source: loc.source,
      snapshotId,
      uri: s3SourceUri(loc),
      status: problems.length ? 'failed' : notReadFacts ? 'partial' : 'succeeded',
      filesInSnapshot: files.length,
      kindsInSnapshot: countByKind(kinds),
      sampleAsked: input.files ?? DEFAULT_DRILL_FILES,
      sampled: sample.length,
      sampledByKind: countByKind(sample),
      filesChecked,
      bytesRestored: restoreProgress.bytesDone,
      mismatches: mismatches.length,
      firstMismatches: mismatches.slice(0, limit),
      verify: {
        ok: verify.ok,
        blobs: verify.blobs,
        readBlobs: verify.readBlobs,
        archivedNotRead: verify.archivedNotRead,
        problems: verify.problems.length,
        firstProblems: verify.problems.slice(0, limit),
      },
      ...(notReadFacts ? { notRead: notReadFacts } : {}),
      ...(thawed ? { thawed } : {}),
      recording: {
        recorded: [...recording.recorded, ...verify.recording.recorded],
        ...(recording.error ? { error: recording.error } : {}),
      },
      problems,
      restoreMs,
      checkMs,
      verifyMs,
      tempFolder,
      tempRemoved,
      warnings,
      startedAt: started.toISOString(),
      durationMs: Date.now() - started.getTime(),
    };
  } catch (err) {
    const said: string[] = [];
    if (!tempRemoved) tempRemoved = await cleanUp(tempFolder, input.keep, said);
    throw withAftermath(err, {
      job: `Drill of ${loc.source} ${snapshotId}`,
      summary: tempRemoved
        ? `The temp folder ${tempFolder} was removed.`
        : input.keep
          ? `The temp folder ${tempFolder} was kept, as asked.`
          : said.join(' '),
      details: { tempFolder, tempRemoved, snapshotId, source: loc.source },
      fallbackCode: 'DrillFailed',
      fallbackHint: 'Fix the cause and drill again; a drill never writes to the folder backed up.',
    });
  }
}

/** Removes the temp folder (unless kept); true when it is gone. */
async function cleanUp(folder: string, keep: boolean | undefined, warnings: string[]): Promise<boolean> {
  if (keep) {
    warnings.push(`The restored sample was kept in ${folder}, as asked: remove it when done.`);
    return false;
  }
  try {
    await rm(folder, { recursive: true, force: true, maxRetries: 3 });
    return true;
  } catch (err) {
    warnings.push(`The temp folder ${folder} could not be removed (${(err as Error).message}): remove it by hand.`);
    return false;
  }
}

/** The data in Glacier classes left unread: files, distinct objects and their bytes, classes. */
class NotReadTally {
  private files = 0;
  private readonly objects = new Map<string, StoredObject>();

  /** One file whose content sits in `object`. */
  add(object: StoredObject): void {
    this.files++;
    this.objects.set(object.key, object);
  }

  facts(): NotRead | undefined {
    if (!this.files) return undefined;
    const objects = [...this.objects.values()];
    return {
      files: this.files,
      objects: objects.length,
      bytes: objects.reduce((n, o) => n + o.size, 0),
      storageClasses: [...new Set(objects.map((o) => o.storageClass))].sort(),
    };
  }
}
