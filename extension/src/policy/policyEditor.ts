import {
  findSnippet,
  lintPolicy,
  type PolicyFinding,
  POLICY_SNIPPETS,
  type PolicySnippet,
  snippetBody,
} from '@coldkeep/shared';
import * as vscode from 'vscode';
import { placeholderAction } from './placeholderFill';
import { fixesFor, looksLikePolicy, missingCommaFix, snippetFits, typedWord } from './policyFixes';

export const POLICY_LANGUAGES = ['json', 'jsonc', 'yaml'] as const;
const SOURCE = 'coldkeep';

/** The linter's severities as VS Code's (the linter has no hint level: its info is Information). */
export function severityOf(finding: Pick<PolicyFinding, 'severity'>): vscode.DiagnosticSeverity {
  if (finding.severity === 'error') return vscode.DiagnosticSeverity.Error;
  if (finding.severity === 'warning') return vscode.DiagnosticSeverity.Warning;
  return vscode.DiagnosticSeverity.Information;
}

/** Where each code is explained: its heading in docs/policy-lint.md. */
export function docsUri(code: string): vscode.Uri {
  return vscode.Uri.parse(`${DOCS}#${code.toLowerCase()}`);
}
const DOCS = 'https://github.com/coldkeep/coldkeep/blob/main/docs/policy-lint.md';

function toDiagnostic(document: vscode.TextDocument, finding: PolicyFinding): vscode.Diagnostic {
  const range = new vscode.Range(
    document.positionAt(finding.start),
    document.positionAt(Math.max(finding.end, finding.start)),
  );
  // The message first; the hint on its own line (the hover and the Problems panel show both).
  const message = finding.hint ? `${finding.message}\n${finding.hint}` : finding.message;
  const diagnostic = new vscode.Diagnostic(range, message, severityOf(finding));
  diagnostic.source = SOURCE;
  diagnostic.code = { value: finding.code, target: docsUri(finding.code) };
  return diagnostic;
}

/** The finding code of one of our diagnostics. */
export function codeOf(diagnostic: vscode.Diagnostic): string | undefined {
  const code = diagnostic.code;
  return typeof code === 'object' ? String(code.value) : code === undefined ? undefined : String(code);
}

/** VS Code's own JSON service reports syntax errors in JSON files; Coldkeep does not repeat them. */
function syntaxReportedByVsCode(document: vscode.TextDocument): boolean {
  return document.languageId === 'json' || document.languageId === 'jsonc';
}

/**
 * The policy linter's findings as diagnostics on policy files and CloudFormation templates,
 * kept up to date as the user types (debounced), and cleared when a file is closed.
 */
export class PolicyDiagnostics implements vscode.Disposable {
  readonly collection = vscode.languages.createDiagnosticCollection(SOURCE);
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly disposables: vscode.Disposable[] = [];
  /** Per document, the diagnostics of its last lint that parsed. */
  private readonly lastGood = new Map<string, vscode.Diagnostic[]>();

  constructor(private readonly enabled: () => boolean) {
    this.disposables.push(
      vscode.workspace.onDidOpenTextDocument((d) => this.schedule(d, 0)),
      vscode.workspace.onDidChangeTextDocument((e) => this.schedule(e.document, 400)),
      vscode.workspace.onDidCloseTextDocument((d) => {
        this.collection.delete(d.uri);
        this.lastGood.delete(d.uri.toString());
      }),
    );
    for (const document of vscode.workspace.textDocuments) this.schedule(document, 0);
  }

  private schedule(document: vscode.TextDocument, delay: number): void {
    if (!(POLICY_LANGUAGES as readonly string[]).includes(document.languageId)) return;
    const key = document.uri.toString();
    clearTimeout(this.timers.get(key));
    this.timers.set(
      key,
      setTimeout(() => {
        this.timers.delete(key);
        void this.lint(document);
      }, delay),
    );
  }

  /** Lints one document now; `force` lints even what does not look like a policy (the lint command). */
  async lint(document: vscode.TextDocument, force = false): Promise<PolicyFinding[]> {
    const text = document.getText();
    if (!force && (!this.enabled() || !looksLikePolicy(text))) {
      this.collection.delete(document.uri);
      this.lastGood.delete(document.uri.toString());
      return [];
    }
    const version = document.version;
    const result = await lintPolicy(text, { fileName: document.fileName });
    if (document.version !== version && !force) return result.findings;
    const key = document.uri.toString();
    const syntax = result.findings.filter((f) => f.code === 'JsonSyntax');
    let diagnostics = result.findings
      .filter((f) => f.code !== 'JsonSyntax' || !syntaxReportedByVsCode(document))
      .map((f) => toDiagnostic(document, f));
    if (syntax.length === 0) this.lastGood.set(key, diagnostics);
    else {
      // A file that briefly does not parse keeps the findings it had (a typo is not a fix).
      diagnostics = [...diagnostics, ...(this.lastGood.get(key) ?? [])];
    }
    this.collection.set(document.uri, diagnostics);
    return result.findings;
  }

  dispose(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    for (const d of this.disposables) d.dispose();
    this.collection.dispose();
  }
}

/** Quick fixes for the findings whose fix is certain (see policyFixes.ts). */
export class PolicyQuickFixes implements vscode.CodeActionProvider {
  static readonly kinds = [vscode.CodeActionKind.QuickFix];

  /** Reads the findings from the diagnostics it fixes (the context's copies may lack them). */
  constructor(
    private readonly diagnostics: PolicyDiagnostics,
    /** Whether AWS is set up: a placeholder is filled from the account, or leads to setup. */
    private readonly awsReady: () => boolean = () => false,
  ) {}

  provideCodeActions(
    document: vscode.TextDocument,
    range: vscode.Range,
    context: vscode.CodeActionContext,
  ): vscode.CodeAction[] {
    const text = document.getText();
    const ours = (this.diagnostics.collection.get(document.uri) ?? []).filter(
      (d) => d.range.intersection(range) !== undefined || context.diagnostics.some((c) => c.range.isEqual(d.range)),
    );
    const actions = ours.flatMap((d) =>
      fixesFor(
        {
          code: codeOf(d) as PolicyFinding['code'],
          start: document.offsetAt(d.range.start),
          end: document.offsetAt(d.range.end),
        },
        text,
      ).map((fix) => editAction(document, d, fix.title, fix.edit)),
    );
    for (const d of ours.filter((o) => codeOf(o) === 'Placeholder')) {
      const fill = placeholderAction(document, d, this.awsReady());
      if (fill) actions.push(fill);
    }
    // A missing comma, as VS Code's JSON service (json 514) or the linter (YAML files' JSON) says it.
    for (const d of [...context.diagnostics, ...ours]) {
      const comma =
        (d.source === 'json' &&
          (String(typeof d.code === 'object' ? d.code.value : d.code) === '514' || /comma/i.test(d.message))) ||
        (d.source === SOURCE && codeOf(d) === 'JsonSyntax' && /comma is missing/.test(d.message));
      const fix = comma ? missingCommaFix(text, document.offsetAt(d.range.start)) : undefined;
      if (fix && !actions.some((a) => a.title === fix.title))
        actions.push(editAction(document, d, fix.title, fix.edit));
    }
    return actions;
  }
}

function editAction(
  document: vscode.TextDocument,
  diagnostic: vscode.Diagnostic,
  title: string,
  edit: { start: number; end: number; text: string },
): vscode.CodeAction {
  const action = new vscode.CodeAction(title, vscode.CodeActionKind.QuickFix);
  action.diagnostics = [diagnostic];
  action.isPreferred = true;
  action.edit = new vscode.WorkspaceEdit();
  action.edit.replace(
    document.uri,
    new vscode.Range(document.positionAt(edit.start), document.positionAt(edit.end)),
    edit.text,
  );
  return action;
}

export function snippetFormat(languageId: string): 'json' | 'yaml' {
  return languageId === 'yaml' ? 'yaml' : 'json';
}

/**
 * The snippet catalogue as completions (prefix "coldkeep-"), only where a policy document goes;
 * each replaces exactly the typed word, hyphens included, however the list was opened.
 */
export class PolicySnippetCompletions implements vscode.CompletionItemProvider {
  provideCompletionItems(document: vscode.TextDocument, position: vscode.Position): vscode.CompletionItem[] {
    const text = document.getText();
    const offset = document.offsetAt(position);
    const format = snippetFormat(document.languageId);
    if (!snippetFits(text, offset, format)) return [];
    const word = typedWord(text, offset);
    const range = new vscode.Range(document.positionAt(word.start), position);
    return POLICY_SNIPPETS.map((snippet) => snippetCompletion(snippet, format, range));
  }
}

function snippetCompletion(
  snippet: PolicySnippet,
  format: 'json' | 'yaml',
  range: vscode.Range,
): vscode.CompletionItem {
  const item = new vscode.CompletionItem(`coldkeep-${snippet.name}`, vscode.CompletionItemKind.Snippet);
  const body = snippetBody(snippet, format);
  item.detail = `Coldkeep ${snippet.kind}`;
  // The preview: the description, then the body as it will read (tab-stops shown by their placeholder).
  const preview = body.replace(/\$\{\d+:([^}]*)\}/g, '$1').replace(/\\([$\\])/g, '$1');
  item.documentation = new vscode.MarkdownString(snippet.description).appendCodeblock(preview, format);
  item.insertText = new vscode.SnippetString(body);
  item.range = range;
  return item;
}

/** Coldkeep: Insert Policy Snippet — into the active editor, or a new one. `name` skips the pick. */
export async function insertSnippetCommand(name?: string): Promise<boolean> {
  const snippet =
    (name ? findSnippet(name) : undefined) ??
    (
      await vscode.window.showQuickPick(
        POLICY_SNIPPETS.map((s) => ({ label: s.name, description: s.kind, detail: s.description, snippet: s })),
        { title: 'Insert which policy snippet?', matchOnDetail: true },
      )
    )?.snippet;
  if (!snippet) return false;
  let editor = vscode.window.activeTextEditor;
  if (!editor) {
    const document = await vscode.workspace.openTextDocument({ language: 'json', content: '' });
    editor = await vscode.window.showTextDocument(document);
  }
  return editor.insertSnippet(
    new vscode.SnippetString(snippetBody(snippet, snippetFormat(editor.document.languageId))),
  );
}
