// Policy quick fixes and editing helpers: each fix leaves a policy the linter accepts.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { CHECKS, lintPolicy } from '@coldkeep/shared';
import { installFakeVscode } from '../../../helpers/fakeVscode';

// The fake must be in place before any extension module loads `vscode`.
installFakeVscode();
/* eslint-disable @typescript-eslint/no-require-imports */
const fixes =
  require('coldkeep-vscode/out/policy/policyFixes') as typeof import('coldkeep-vscode/out/policy/policyFixes');
/* eslint-enable @typescript-eslint/no-require-imports */

describe('policy quick fixes', () => {
  test('add Version to a JSON policy, and the linter is satisfied', async () => {
    const text =
      '{\n  "Statement": [{ "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*" }]\n}\n';
    const { findings } = await lintPolicy(text, { fileName: 'p.json' });
    const missing = findings.find((f) => f.code === 'MissingVersion')!;
    const [fix] = fixes.fixesFor(missing, text);
    const fixed = text.slice(0, fix!.edit.start) + fix!.edit.text + text.slice(fix!.edit.end);
    assert.match(fixed, /^\{\n {2}"Version": "2012-10-17",\n {2}"Statement"/);
    assert.deepEqual((await lintPolicy(fixed, { fileName: 'p.json' })).findings, []);
  });

  test('append /* to a bucket ARN given to an object action (JSON and YAML)', async () => {
    for (const [text, name] of [
      [
        '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b"}]}',
        'p.json',
      ],
      [
        "Version: '2012-10-17'\nStatement:\n  - Effect: Allow\n    Action: s3:GetObject\n    Resource: arn:aws:s3:::b\n",
        'p.yaml',
      ],
    ] as const) {
      const { findings } = await lintPolicy(text, { fileName: name });
      const finding = findings.find((f) => f.code === 'ObjectActionOnBucket')!;
      const [fix] = fixes.fixesFor(finding, text);
      assert.ok(fix, name);
      const fixed = text.slice(0, fix.edit.start) + fix.edit.text + text.slice(fix.edit.end);
      assert.deepEqual((await lintPolicy(fixed, { fileName: name })).findings, [], name);
    }
  });

  test('add Version to a YAML policy; no fix where it is not certain', async () => {
    const yaml = 'Statement:\n  - Effect: Allow\n    Action: s3:GetObject\n    Resource: arn:aws:s3:::b/*\n';
    const missing = (await lintPolicy(yaml, { fileName: 'p.yaml' })).findings.find((f) => f.code === 'MissingVersion')!;
    const [fix] = fixes.fixesFor(missing, yaml);
    const fixed = yaml.slice(0, fix!.edit.start) + fix!.edit.text + yaml.slice(fix!.edit.end);
    assert.deepEqual((await lintPolicy(fixed, { fileName: 'p.yaml' })).findings, []);
    assert.deepEqual(fixes.fixesFor({ code: 'WildcardAction', start: 0, end: 3 }, yaml), []);
    assert.equal(fixes.looksLikePolicy('{"name": "package"}'), false);
    assert.equal(fixes.looksLikePolicy(yaml), true);
  });
});

describe('policy editing helpers', () => {
  test('a missing comma gets a fix after the value before the gap, and the policy parses', async () => {
    const text = '{\n  "Version": "2012-10-17"\n  "Statement": []\n}';
    const syntax = (await lintPolicy(text, { fileName: 'p.json' })).findings.find((f) => f.code === 'JsonSyntax')!;
    const fix = fixes.missingCommaFix(text, syntax.start)!;
    const fixed = text.slice(0, fix.edit.start) + fix.edit.text + text.slice(fix.edit.end);
    assert.deepEqual(JSON.parse(fixed), { Version: '2012-10-17', Statement: [] });
    assert.equal(fixes.missingCommaFix('{ "a": ', 7), undefined);
  });

  test('snippets fit an empty document or where a policy document goes, never in tsconfig.json', () => {
    const at = (text: string): boolean => fixes.snippetFits(text.replace('|', ''), text.indexOf('|'), 'json');
    assert.equal(at('coldkeep-|'), true);
    assert.equal(at('|'), true);
    assert.equal(at('{ "compilerOptions": { "coldkeep-| } }'), false);
    assert.equal(at('{ "compilerOptions": { "strict": coldkeep-| } }'), false);
    assert.equal(
      at(
        '{ "AWSTemplateFormatVersion": "2010-09-09", "Resources": { "P": { "Properties": { "PolicyDocument": coldkeep-| } } } }',
      ),
      true,
    );
    assert.equal(at('{ "Version": "2012-10-17", "Statement": [{ "Effect": coldkeep-| }] }'), false);
    const yaml =
      "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  P:\n    Properties:\n      PolicyDocument:\n        coldkeep-";
    assert.equal(fixes.snippetFits(yaml, yaml.length, 'yaml'), true);
    assert.equal(fixes.snippetFits(`${yaml}\n`.replace('PolicyDocument', 'Description'), yaml.length, 'yaml'), false);
    assert.deepEqual(fixes.typedWord('{ coldkeep-bucket', 17), { start: 2, end: 17 });
  });

  test('every lint code has the heading in docs/policy-lint.md that its diagnostic links to', () => {
    const docs = readFileSync(join(__dirname, '..', '..', '..', '..', '..', 'docs', 'policy-lint.md'), 'utf8');
    for (const code of Object.keys(CHECKS)) assert.match(docs, new RegExp(`^### ${code}$`, 'm'), code);
  });

  test('row commands are kept out of the palette; the extension activates on JSON, JSONC and YAML', () => {
    const manifest = JSON.parse(
      readFileSync(join(__dirname, '..', '..', '..', '..', '..', 'extension', 'package.json'), 'utf8'),
    ) as {
      activationEvents: string[];
      contributes: { menus: { commandPalette: { command: string; when: string }[] } };
    };
    for (const language of ['json', 'jsonc', 'yaml'])
      assert.ok(manifest.activationEvents.includes(`onLanguage:${language}`));
    const hidden = manifest.contributes.menus.commandPalette.filter((m) => m.when === 'false').map((m) => m.command);
    for (const row of ['copyBackupUri', 'deleteBackup', 'showBackupDetails', 'verifyBackup', 'copyPresignedLink']) {
      assert.ok(hidden.includes(`coldkeep.${row}`), row);
    }
  });
});
