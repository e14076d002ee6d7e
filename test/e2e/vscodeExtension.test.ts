import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type Browser, chromium, type Page } from 'playwright-core';
import {
  CHROMIUM,
  CHROMIUM_ARGS,
  REPO,
  type RunningCodeServer,
  startCodeServer,
  workbenchUrl,
} from '../helpers/codeServer';
import type { FakeCloudFormation } from '../helpers/fakeCloudFormation';
import type { FakeSts } from '../helpers/fakeSts';
import type { TestTarget } from '../helpers/fixture';
import { type ExtensionWorkspace, MFA_SERIAL, prepareExtensionWorkspace } from '../helpers/vscodeWorkspace';

/**
 * The extension inside a real VS Code (code-server) against the emulators (or the target in
 * the environment, see helpers/fixture.ts): the extension-host suite in test/vscode/, then a UI
 * test in headless Chromium that drives the command palette and screenshots the views.
 */
const EXTENSION = join(REPO, 'extension');
const HOST_SUITE = join(REPO, 'test', 'out', 'vscode', 'index.js');
const ARTIFACTS = join(REPO, 'test', 'artifacts');
const ITEMS = 300;

describe('VS Code extension in code-server', { timeout: 600_000 }, () => {
  let seeded: ExtensionWorkspace | undefined;
  let target: TestTarget;
  let serverEnv: NodeJS.ProcessEnv;
  let sts: FakeSts;
  let cloudformation: FakeCloudFormation;
  let server: RunningCodeServer;
  let browser: Browser;
  let work: string;
  let workspace: string;
  let table: string;

  const started = Date.now();
  const phase = (what: string): void => {
    process.stderr.write(`[vscode-e2e] ${((Date.now() - started) / 1000).toFixed(1)} s: ${what}\n`);
  };

  before(async () => {
    execFileSync(process.execPath, [join(EXTENSION, 'esbuild.mjs')], { stdio: 'inherit' });
    seeded = await prepareExtensionWorkspace(ITEMS);
    ({ target, sts, cloudformation, work, workspace, table, env: serverEnv } = seeded);
    phase('seeded');
    server = await startCodeServer({ dir: join(work, 'server'), env: serverEnv });
    phase('code-server ready');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  });

  after(async () => {
    phase('tests done');
    await browser?.close();
    phase('browser closed');
    await server?.stop();
    phase('code-server stopped');
    await seeded?.stop();
    phase('cleaned up');
  });

  test('the extension-host suite passes (views, backup, restore, diagnostics, snippets)', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const log: string[] = [];
    page.on('console', (m) => {
      if (m.text().includes('[coldkeep-host]')) log.push(m.text());
    });
    const exit = new Promise<number>((resolve) => {
      void page.exposeFunction('codeAutomationLog', (type: string, args: unknown[]) => {
        log.push(`${type}: ${args.map(String).join(' ')}`);
      });
      void page.exposeFunction('codeAutomationExit', (code: number) => resolve(code));
    });
    await page.goto(workbenchUrl(server, workspace, { developmentPath: EXTENSION, testsPath: HOST_SUITE }));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<number>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no result within 4 min:\n${log.join('\n')}\n${server.log()}`)),
        240_000,
      );
    });
    const code = await Promise.race([exit, timeout]).finally(() => clearTimeout(timer));
    await context.close();
    const results = [
      ...new Set(
        log
          .filter((l) => /\[coldkeep-host\] (ok|FAIL|activation took)/.test(l))
          .map((l) => l.replace(/^.*\[coldkeep-host\]/, '')),
      ),
    ];
    process.stderr.write(results.map((r) => `[vscode-host]${r}\n`).join(''));
    assert.ok(results.length >= 12, `every host test reported:\n${log.join('\n')}`);
    assert.equal(code, 0, log.join('\n'));
    // The deploy with a bad parameter never reached CloudFormation: one change set, the good deploy's.
    assert.equal(cloudformation.calls.filter((c) => c === 'CreateChangeSet').length, 1, cloudformation.calls.join(' '));
  });

  test('UI: a fresh window lints a policy file without the Coldkeep view, and the palette holds no row command', async () => {
    // A folder of its own: no restored view state, nothing opened before.
    const fresh = join(work, 'fresh-window');
    mkdirSync(fresh, { recursive: true });
    writeFileSync(
      join(fresh, 'bucket-policy.json'),
      JSON.stringify(
        {
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { AWS: 'arn:aws:iam::<AWS_ACCOUNT_ID>:root' },
              Action: 's3:GetObject',
              Resource: 'arn:aws:s3:::<AWS_ACCOUNT_ID>-backups/*',
            },
          ],
        },
        null,
        2,
      ),
    );
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const page = await context.newPage();
    try {
      await page.goto(workbenchUrl(server, fresh, { developmentPath: EXTENSION }));
      await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
      await page.keyboard.press('Control+P');
      await page.locator('.quick-input-widget input').fill('bucket-policy.json');
      await page.locator('.quick-input-widget .monaco-list-row', { hasText: 'bucket-policy.json' }).first().waitFor();
      await page.keyboard.press('Enter');
      // Valid JSON: any squiggle is Coldkeep's (the placeholders).
      await page.locator('.monaco-editor .squiggly-error').first().waitFor({ timeout: 60_000 });
      assert.equal(
        await page.locator('.pane-header', { hasText: 'Backups' }).count(),
        0,
        'no Coldkeep view was opened',
      );
      // The palette lists Coldkeep's commands, but none that needs a backup row.
      await page.keyboard.press('F1');
      await page.locator('.quick-input-widget input').fill('>Coldkeep: Backup');
      await page.locator('.quick-input-widget .monaco-list-row', { hasText: 'Restore Backup' }).first().waitFor();
      const listed = await page.locator('.quick-input-widget .monaco-list-row').allInnerTexts();
      for (const row of ['Copy Backup S3 URI', 'Delete Backup', 'Show Backup Details', 'Verify Backup', 'Pre-signed']) {
        assert.ok(!listed.some((t) => t.includes(row)), `${row} is not in the palette: ${listed.join(' | ')}`);
      }
      await page.keyboard.press('Escape');
    } catch (err) {
      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: join(ARTIFACTS, 'vscode-fresh-window-failure.png') }).catch(() => undefined);
      throw err;
    } finally {
      await context.close();
    }
  });

  /** A second VS Code for a newcomer: no AWS keys, no ~/.aws, no Coldkeep settings (started once, on first use). */
  let newcomerServer: Promise<RunningCodeServer> | undefined;
  const newcomer = (): Promise<RunningCodeServer> => {
    const env: NodeJS.ProcessEnv = { ...serverEnv, HOME: join(work, 'newcomer-home') };
    for (const key of Object.keys(env)) if (/^(AWS_|COLDKEEP_ENDPOINT_URL)/.test(key)) delete env[key];
    mkdirSync(env.HOME!, { recursive: true });
    newcomerServer ??= startCodeServer({ dir: join(work, 'newcomer-server'), env });
    return newcomerServer;
  };
  after(async () => (await newcomerServer)?.stop());

  test('UI: with nothing configured, the palette holds no AWS or row command, and Deploy leads to setup before any parameter', async () => {
    const folder = join(work, 'newcomer-folder');
    mkdirSync(folder, { recursive: true });
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const page = await context.newPage();
    try {
      await page.goto(workbenchUrl(await newcomer(), folder, { developmentPath: EXTENSION }));
      await page.locator('.activitybar .action-item a[aria-label^="Coldkeep"]').first().waitFor({ timeout: 60_000 });
      // The palette once Coldkeep is active (the setup context is set on activation).
      const rows = page.locator('.quick-input-widget .monaco-list-row');
      let listed: string[] = [];
      for (let attempt = 1; ; attempt++) {
        await page.keyboard.press('F1');
        await page.locator('.quick-input-widget input').fill('>Coldkeep: ');
        await rows.filter({ hasText: 'Deploy a Backup Bucket' }).first().waitFor({ timeout: 30_000 });
        listed = await rows.allInnerTexts();
        await page.keyboard.press('Escape');
        // Coldkeep activates once start-up has finished, and then hides what needs AWS.
        if (!listed.some((t) => t.includes('Back Up Table')) || attempt === 8) break;
      }
      assert.ok(
        listed.some((t) => t.includes('Configure AWS Profile')),
        listed.join(' | '),
      );
      for (const hidden of [
        'Back Up Table',
        'Restore Backup',
        'Back Up Folder',
        'Restore Folder Snapshot',
        'Start MFA Session',
        'Copy Backup S3 URI',
        'Delete Backup',
        'Show Backup Details',
        'Verify Backup',
        'Pre-signed',
      ]) {
        assert.ok(!listed.some((t) => t.includes(hidden)), `${hidden} is not in the palette: ${listed.join(' | ')}`);
      }
      // Deploy says what is missing first, with the buttons that fix it, and asks for no parameter.
      await runCommand(page, 'Coldkeep: Deploy a Backup Bucket');
      await waitForNotification(page, 'no AWS credentials yet', 60_000);
      const notification = page.locator('.notification-list-item', { hasText: 'no AWS credentials yet' }).first();
      assert.match(await notification.innerText(), /setting coldkeep\.profile/, 'VS Code words: a setting, not a flag');
      assert.equal(await page.locator('.quick-input-title', { hasText: 'parameters' }).count(), 0, 'no parameter form');
      await notification
        .locator('.monaco-button', { hasText: 'Start Local Demo' })
        .first()
        .waitFor({ timeout: 10_000 });
      await notification.locator('.monaco-button', { hasText: 'Configure Profile' }).first().click();
      // The profile picker: no profile in ~/.aws yet, so it offers to make one, or the demo.
      await page
        .locator('.quick-input-widget .quick-input-title', { hasText: 'Coldkeep: AWS profile' })
        .waitFor({ timeout: 30_000 });
      await rows.filter({ hasText: 'Create a Profile' }).first().waitFor({ timeout: 10_000 });
      await rows.filter({ hasText: 'Start the Local Demo' }).first().waitFor({ timeout: 10_000 });
      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: join(ARTIFACTS, 'vscode-newcomer-setup.png') });
      await page.keyboard.press('Escape');
    } catch (err) {
      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: join(ARTIFACTS, 'vscode-newcomer-failure.png') }).catch(() => undefined);
      throw err;
    } finally {
      await context.close();
    }
  });

  test('UI: a snippet accepted from the Ctrl+Space list replaces the typed coldkeep- word (valid JSON)', async () => {
    const folder = join(work, 'completion-folder');
    mkdirSync(folder, { recursive: true });
    const file = join(folder, 'policy.json');
    writeFileSync(file, '');
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const page = await context.newPage();
    try {
      await page.goto(workbenchUrl(await newcomer(), folder, { developmentPath: EXTENSION }));
      await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
      await page.keyboard.press('Control+P');
      await page.locator('.quick-input-widget input').fill('policy.json');
      await page.locator('.quick-input-widget .monaco-list-row', { hasText: 'policy.json' }).first().waitFor();
      await page.keyboard.press('Enter');
      await page.locator('.monaco-editor .view-lines').first().click();
      await page.keyboard.type('coldkeep-bucket', { delay: 20 });
      // Close whatever opened while typing; the list is opened by hand.
      await page.keyboard.press('Escape');
      const suggestion = page.locator('.suggest-widget .monaco-list-row', {
        hasText: 'coldkeep-bucket-backup-writers',
      });
      for (let attempt = 1; ; attempt++) {
        await page.keyboard.press('Control+Space');
        try {
          await suggestion.first().waitFor({ timeout: 10_000 });
          break;
        } catch (err) {
          if (attempt === 4) throw err;
          await page.keyboard.press('Escape');
        }
      }
      // Enter accepts the focused suggestion (every coldkeep-bucket-… snippet is a whole policy).
      await page.keyboard.press('Enter');
      await page.locator('.suggest-widget.visible').waitFor({ state: 'hidden', timeout: 10_000 });
      await page.keyboard.press('Escape');
      await page.keyboard.press('Control+S');
      const deadline = Date.now() + 30_000;
      const unsaved = (t: string): boolean => t === '' || t === 'coldkeep-bucket';
      while (unsaved(readFileSync(file, 'utf8')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
      const text = readFileSync(file, 'utf8');
      assert.doesNotMatch(text, /coldkeep-/, 'the typed word is gone');
      const policy = JSON.parse(text) as { Version?: string };
      assert.equal(policy.Version, '2012-10-17');
    } catch (err) {
      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: join(ARTIFACTS, 'vscode-completion-failure.png') }).catch(() => undefined);
      throw err;
    } finally {
      await context.close();
    }
  });

  test('UI: the command palette backs up a table, and the Backups view lists it (screenshot)', async () => {
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const page = await context.newPage();
    try {
      await page.goto(workbenchUrl(server, workspace, { developmentPath: EXTENSION }));
      await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
      // The palette lists the extension's commands once its contributions are registered.
      await page.locator('.activitybar .action-item a[aria-label^="Coldkeep"]').first().waitFor({ timeout: 60_000 });
      await runCommand(page, 'Coldkeep: Back Up Table');
      const pick = page.locator('.quick-input-widget .monaco-list-row', { hasText: table });
      await pick.first().waitFor({ timeout: 30_000 });
      await page.keyboard.type(table);
      await page.keyboard.press('Enter');
      await waitForNotification(page, `Backed up ${table}`, 60_000);

      await page.locator('.activitybar .action-item a[aria-label^="Coldkeep"]').first().click();
      const backupsHeader = page.locator('.pane-header', { hasText: 'Backups' });
      await backupsHeader.waitFor({ timeout: 30_000 });
      if ((await backupsHeader.getAttribute('aria-expanded')) !== 'true') await backupsHeader.click();
      const row = page.locator('.monaco-list-row', { hasText: 'items' }).filter({ hasText: 'STANDARD' });
      await row.first().waitFor({ timeout: 30_000 });
      const tableRow = page.locator('.monaco-list-row', { hasText: table });
      assert.ok((await tableRow.count()) >= 1, 'the table shows in the views');
      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: join(ARTIFACTS, 'vscode-views-with-backup.png') });
      const text = await row.first().innerText();
      assert.match(text, /\d{8}T\d{6}Z|\d{4}-\d{2}-\d{2}/, `a backup row with its date: ${text}`);
    } catch (err) {
      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: join(ARTIFACTS, 'vscode-ui-failure.png') }).catch(() => undefined);
      throw err;
    } finally {
      await context.close();
    }
  });

  test('UI: a profile with MFA asks for the code in an input box, and the status bar shows the session', async () => {
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const page = await context.newPage();
    try {
      await page.goto(workbenchUrl(server, workspace, { developmentPath: EXTENSION }));
      await page.locator('.activitybar .action-item a[aria-label^="Coldkeep"]').first().waitFor({ timeout: 60_000 });
      await runCommand(page, 'Coldkeep: Configure AWS Profile');
      await answerInputBox(page, 'Coldkeep: AWS profile', 'mfa');
      await answerInputBox(page, 'Coldkeep: region', target.clients.region);
      const item = page.locator('.statusbar-item', { hasText: 'mfa:' });
      await item.first().waitFor({ timeout: 30_000 });
      assert.match(await item.first().innerText(), /no MFA session/);

      await runCommand(page, 'Coldkeep: Start MFA Session');
      const input = page.locator('.quick-input-widget input');
      await input.waitFor({ timeout: 30_000 });
      await input.fill('12345x');
      await page.locator('.quick-input-widget', { hasText: '6 digits' }).first().waitFor({ timeout: 10_000 });
      await input.fill('123456');
      await page.keyboard.press('Enter');
      const signedIn = page.locator('.statusbar-item', { hasText: 'mfa until' });
      await signedIn.first().waitFor({ timeout: 30_000 });
      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: join(ARTIFACTS, 'vscode-mfa-session.png') });
      // The item shows the region too, and opens the profile picker, which can renew the session.
      assert.match(await signedIn.first().innerText(), new RegExp(`· ${target.clients.region}`));
      await signedIn.first().click();
      await page
        .locator('.quick-input-widget .quick-input-title', { hasText: 'Coldkeep: AWS profile' })
        .waitFor({ timeout: 30_000 });
      await page
        .locator('.quick-input-widget .monaco-list-row', { hasText: 'Enter an MFA Code' })
        .first()
        .waitFor({ timeout: 10_000 });
      await page.keyboard.press('Escape');
      const calls = sts.requests.filter((r) => r.action === 'GetSessionToken');
      assert.equal(calls.length, 1, 'one GetSessionToken: the malformed code never reached STS');
      assert.equal(calls[0]!.params.TokenCode, '123456');
      assert.equal(calls[0]!.params.SerialNumber, MFA_SERIAL);
      assert.equal(calls[0]!.signedBy, 'AKIALONGTERMKEY', "signed by the profile's own keys");
    } catch (err) {
      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: join(ARTIFACTS, 'vscode-mfa-failure.png') }).catch(() => undefined);
      throw err;
    } finally {
      await context.close();
    }
  });

  test('the packaged VSIX is small, installs into VS Code and works without the repository', async () => {
    execFileSync('npm', ['run', '-s', 'package'], { cwd: EXTENSION, stdio: ['ignore', 'ignore', 'inherit'] });
    const vsix = join(REPO, 'release', 'coldkeep-vscode.vsix');
    const size = statSync(vsix).size;
    // A zip's central directory holds each entry's name as it is.
    assert.ok(
      readFileSync(vsix).includes('extension/dist/infra-templates/dist/table-backup.zip'),
      'the Lambda bundle ships in the VSIX',
    );
    process.stderr.write(`[vscode-e2e] VSIX: ${(size / 1e6).toFixed(2)} MB\n`);
    assert.ok(size < 5e6, `the VSIX is small (${size} bytes)`);
    // A fresh server whose only Coldkeep is the installed one (no extensionDevelopmentPath).
    const installed = await startCodeServer({ dir: join(work, 'installed'), env: serverEnv, install: vsix });
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const page = await context.newPage();
    try {
      await page.goto(`${installed.url}/?folder=${encodeURIComponent(workspace)}`);
      await page.locator('.activitybar .action-item a[aria-label^="Coldkeep"]').first().click({ timeout: 60_000 });
      await page.locator('.monaco-list-row', { hasText: table }).first().waitFor({ timeout: 30_000 });
      // The linter's IAM data is read from the bundle's own copy.
      await page.keyboard.press('Control+P');
      await page.locator('.quick-input-widget input').fill('unversioned-policy.json');
      await page
        .locator('.quick-input-widget .monaco-list-row', { hasText: 'unversioned-policy.json' })
        .first()
        .waitFor();
      await page.keyboard.press('Enter');
      await page
        .locator('.monaco-editor .squiggly-warning, .monaco-editor .squiggly-error')
        .first()
        .waitFor({ timeout: 30_000 });
      // The stack templates ship in the VSIX: Deploy Stack lists them without the repository, and
      // the Lambda bundle too: table-backup-schedule is not marked as missing it.
      await runCommand(page, 'Coldkeep: Deploy Stack');
      await page
        .locator('.quick-input-widget .monaco-list-row', { hasText: 'backup-bucket' })
        .first()
        .waitFor({ timeout: 30_000 });
      const schedule = page
        .locator('.quick-input-widget .monaco-list-row', { hasText: 'table-backup-schedule' })
        .first();
      await schedule.waitFor({ timeout: 30_000 });
      assert.doesNotMatch((await schedule.textContent()) ?? '', /needs the Lambda bundle/);
      await page.keyboard.press('Escape');
    } catch (err) {
      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: join(ARTIFACTS, 'vscode-vsix-failure.png') }).catch(() => undefined);
      throw new Error(`${String(err)}\n${installed.log()}`, { cause: err });
    } finally {
      await context.close();
      await installed.stop();
    }
  });
});

/** F1, the command's title, Enter; asks again while the palette does not list it yet. */
async function runCommand(page: Page, title: string): Promise<void> {
  const input = page.locator('.quick-input-widget input');
  const row = page.locator('.quick-input-widget .monaco-list-row', { hasText: title }).first();
  for (let attempt = 1; ; attempt++) {
    await page.keyboard.press('F1');
    await input.waitFor({ timeout: 30_000 });
    await input.fill(`>${title}`);
    try {
      await row.waitFor({ timeout: 5_000 });
      break;
    } catch (err) {
      if (attempt === 6) throw err;
      await page.keyboard.press('Escape');
    }
  }
  await page.keyboard.press('Enter');
}

/**
 * Waits for a notification with this text, as a toast or in the notification center: VS Code 1.139
 * can keep a notification in the center without showing its toast (the bell shows a dot).
 */
async function waitForNotification(page: Page, text: string, timeoutMs: number): Promise<void> {
  const item = page.locator('.notification-list-item', { hasText: text }).first();
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await item.waitFor({ timeout: 5_000 });
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
    }
    await runCommand(page, 'Notifications: Show Notifications');
  }
}

/** Waits for the input box titled `title`, types into it and confirms. */
async function answerInputBox(page: Page, title: string, value: string): Promise<void> {
  const heading = page.locator('.quick-input-widget .quick-input-title', { hasText: title });
  await heading.waitFor({ timeout: 30_000 });
  await page.locator('.quick-input-widget input').fill(value);
  await page.keyboard.press('Enter');
  await heading.waitFor({ state: 'hidden', timeout: 30_000 });
}
