// Hints in the user's own words: the core names settings ({setting:region}), and each front end
// words them its own way. The CLI says --region, VS Code coldkeep.region, the desktop app "Region".
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, test } from 'node:test';
import { ColdkeepError, fromAwsError, renderHint, settingsIn } from '@coldkeep/shared';
import { cliHint, cliSettingWords } from '@coldkeep/shared/dist/cli/format';
import { buildProgram } from '@coldkeep/shared/dist/cli/main';
import { desktopHint, desktopSettingWords } from 'coldkeep-desktop/dist/main/hintWords';
import { ipcErrorOf } from 'coldkeep-desktop/dist/main/ipcHandlers';
import type { Command } from 'commander';
import ts from 'typescript';
import { vscodeHint, vscodeSettingWords } from 'coldkeep-vscode/out/format';

const ROOT = join(__dirname, '..', '..', '..', '..', '..');
const CORE = join(ROOT, 'shared', 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

/** The core outside the CLI folder: the code every front end shares. */
const coreFiles = sourceFiles(CORE).filter((f) => !relative(CORE, f).startsWith('cli'));

/** Every string a hint is made of: `hint:`/`fallbackHint:` properties, the hint argument of `refuse(message, hint)`, `notes.push(…)`. */
function hintTexts(file: string): { text: string; line: number }[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const found: { text: string; line: number }[] = [];
  const collect = (node: ts.Node): void => {
    if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) push(node, node.text);
    else if (ts.isTemplateExpression(node)) {
      push(node, [node.head.text, ...node.templateSpans.map((s) => s.literal.text)].join('${…}'));
    }
    ts.forEachChild(node, collect);
  };
  const push = (node: ts.Node, text: string): void => {
    found.push({ text, line: source.getLineAndCharacterOfPosition(node.getStart()).line + 1 });
  };
  const visit = (node: ts.Node): void => {
    if (
      ts.isPropertyAssignment(node) &&
      ts.isIdentifier(node.name) &&
      ['hint', 'fallbackHint'].includes(node.name.text)
    ) {
      collect(node.initializer);
    }
    if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'refuse') {
      for (const arg of node.arguments.slice(1)) collect(arg);
    }
    // The notes of a generated policy, which VS Code shows too.
    if (ts.isCallExpression(node) && node.expression.getText(source) === 'notes.push') {
      for (const arg of node.arguments) collect(arg);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** `--flag` words outside a quoted command to run ("coldkeep …", "aws …"), which reads the same everywhere. */
function rawFlags(text: string): string[] {
  const outsideCommands = text.replace(/"(?:coldkeep|aws) [^"]*"/g, '');
  return outsideCommands.match(/(?<![\w-])--[a-z][a-z-]*/g) ?? [];
}

function allOptions(command: Command): string[] {
  return [...command.options.map((o) => o.long ?? ''), ...command.commands.flatMap(allOptions)];
}

describe('hints in the user’s own words', () => {
  test('the same error reads in each front end’s words', () => {
    const err = fromAwsError(Object.assign(new Error('not found'), { name: 'ResourceNotFoundException' }), {
      doing: 'scan table',
      table: 'Orders',
      region: 'eu-west-1',
    }) as ColdkeepError;
    assert.ok(err instanceof ColdkeepError);
    assert.deepEqual(err.settings, ['region']);

    const cli = err.hintIn(cliSettingWords)!;
    const vscode = err.hintIn(vscodeSettingWords)!;
    const desktop = desktopHint(err)!;
    assert.match(cli, /\(--region\)/);
    assert.match(vscode, /the setting coldkeep\.region/);
    assert.doesNotMatch(vscode, /--region/);
    assert.match(desktop, /the Region field in Settings/);
    assert.doesNotMatch(desktop, /--region|coldkeep\.region/);
    // Places that are no front end (emails, run history) get plain words, never a token or a flag.
    assert.match(err.hint!, /the region setting/);
    assert.doesNotMatch(err.hint!, /--|\{setting:/);
    // What leaves each front end: the CLI's --json, the desktop page's IPC answer.
    assert.equal(err.toJSON(cliSettingWords).hint, cli);
    assert.deepEqual(err.toJSON(cliSettingWords).settings, ['region']);
    assert.equal(ipcErrorOf(err).hint, desktop);
  });

  test('a value given with the setting is worded by each front end', () => {
    const hint = 'Use {setting:region=us-east-1}.';
    assert.equal(cliHint(hint), 'Use --region us-east-1.');
    assert.equal(vscodeHint(hint), 'Use us-east-1 in the setting coldkeep.region.');
    assert.equal(renderHint(hint, desktopSettingWords), 'Use us-east-1 in the Region field in Settings.');
    // A setting a front end lacks keeps its plain name there; the CLI still names its flag.
    assert.equal(cliHint('Run again with {setting:overwrite}.'), 'Run again with --overwrite.');
    assert.equal(vscodeHint('Run again with {setting:overwrite}.'), 'Run again with the overwrite setting.');
    assert.equal(cliHint('{setting:endpoint} and {setting:lockUntil}'), '--endpoint-url and --lock-until');
  });

  test('no hint of the core names a CLI flag', () => {
    const offenders = coreFiles.flatMap((file) =>
      hintTexts(file).flatMap(({ text, line }) =>
        rawFlags(text).map((flag) => `${relative(ROOT, file)}:${line} ${flag}`),
      ),
    );
    assert.deepEqual(offenders, []);
  });

  test('every setting a core hint names is a real CLI flag, VS Code setting and desktop field', () => {
    const tokens = new Set(coreFiles.flatMap((file) => settingsIn(readFileSync(file, 'utf8'))));
    assert.ok(tokens.size >= 20, `only ${tokens.size} settings named in the core's hints`);
    const flags = new Set(allOptions(buildProgram()));
    const missing = [...tokens].filter((setting) => !flags.has(cliSettingWords(setting, undefined)));
    assert.deepEqual(missing, [], 'settings without a CLI flag');

    const contributed = Object.keys(
      (
        JSON.parse(readFileSync(join(ROOT, 'extension', 'package.json'), 'utf8')) as {
          contributes: { configuration: { properties: Record<string, unknown> } };
        }
      ).contributes.configuration.properties,
    );
    const settingsPage = readFileSync(join(ROOT, 'desktop', 'src', 'renderer', 'pages', 'settings.ts'), 'utf8');
    for (const setting of tokens) {
      const vscodeName = /coldkeep\.\w+/.exec(vscodeSettingWords(setting, undefined))?.[0];
      if (vscodeName) assert.ok(contributed.includes(vscodeName), `${vscodeName} is not a VS Code setting`);
      const label = /^the (.+) field in Settings$/.exec(desktopSettingWords(setting, undefined))?.[1];
      if (label) assert.ok(settingsPage.includes(`'${label}'`), `"${label}" is not a field of the Settings page`);
    }
  });
});
