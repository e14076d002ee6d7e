import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parse } from 'yaml';
import { appFileFor, appPageUrl, appSchemePrivileges, isAppPageUrl } from 'coldkeep-desktop/dist/main/appProtocol';

const repo = join(__dirname, '..', '..', '..', '..');

describe('desktop packaging: Electron fuses', () => {
  const config = parse(readFileSync(join(repo, 'electron-builder.yml'), 'utf8')) as {
    electronFuses?: Record<string, boolean>;
  };

  test('the packaged binary is no plain Node and runs only its own checked asar', () => {
    assert.deepEqual(
      {
        runAsNode: config.electronFuses?.runAsNode,
        enableNodeOptionsEnvironmentVariable: config.electronFuses?.enableNodeOptionsEnvironmentVariable,
        enableNodeCliInspectArguments: config.electronFuses?.enableNodeCliInspectArguments,
        onlyLoadAppFromAsar: config.electronFuses?.onlyLoadAppFromAsar,
        enableEmbeddedAsarIntegrityValidation: config.electronFuses?.enableEmbeddedAsarIntegrityValidation,
        grantFileProtocolExtraPrivileges: config.electronFuses?.grantFileProtocolExtraPrivileges,
      },
      {
        runAsNode: false,
        enableNodeOptionsEnvironmentVariable: false,
        enableNodeCliInspectArguments: false,
        onlyLoadAppFromAsar: true,
        enableEmbeddedAsarIntegrityValidation: true,
        grantFileProtocolExtraPrivileges: false,
      },
    );
  });
});

describe('desktop packaging: the page comes from the app scheme', () => {
  const root = '/opt/Coldkeep/resources/app.asar';

  test('the page is no file:// URL, and its scheme is a privileged standard, secure one', () => {
    assert.equal(appPageUrl, 'coldkeep-app://app/src/renderer/index.html');
    assert.deepEqual(appSchemePrivileges, { scheme: 'coldkeep-app', privileges: { standard: true, secure: true } });
    assert.equal(isAppPageUrl(`${appPageUrl}#history/r1`), true);
    assert.equal(isAppPageUrl('file:///opt/Coldkeep/resources/app.asar/src/renderer/index.html'), false);
  });

  test('the page, its stylesheet and its script are served; their relative links resolve to them', () => {
    const css = new URL('index.css', appPageUrl).href;
    const script = new URL('../../dist/renderer/renderer.js', appPageUrl).href;
    assert.equal(appFileFor(appPageUrl, root), join(root, 'src', 'renderer', 'index.html'));
    assert.equal(appFileFor(css, root), join(root, 'src', 'renderer', 'index.css'));
    assert.equal(appFileFor(script, root), join(root, 'dist', 'renderer', 'renderer.js'));
  });

  test('nothing else is served: other files, traversal, encoded traversal, other hosts and schemes', () => {
    for (const url of [
      'coldkeep-app://app/package.json',
      'coldkeep-app://app/dist/main/main.js',
      'coldkeep-app://app/src/renderer/%2e%2e/%2e%2e/package.json',
      'coldkeep-app://app/src/renderer/..%2F..%2Fpackage.json',
      'coldkeep-app://app/%2Fetc%2Fpasswd',
      'coldkeep-app://other/src/renderer/index.html',
      'file:///opt/Coldkeep/resources/app.asar/src/renderer/index.html',
      'coldkeep-app://app/src/renderer/%E0%A4%A',
    ]) {
      assert.equal(appFileFor(url, root), undefined, url);
    }
  });

  test('the page keeps its strict CSP: nothing from outside the app, no inline script', () => {
    const html = readFileSync(join(repo, 'desktop', 'src', 'renderer', 'index.html'), 'utf8');
    const csp = /http-equiv="Content-Security-Policy"\s+content="([^"]+)"/.exec(html)?.[1] ?? '';
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.match(csp, /connect-src 'none'/);
  });
});
