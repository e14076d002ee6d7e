import {
  findSnippet,
  lintPolicy,
  type PolicyFinding,
  POLICY_SNIPPETS,
  type PolicySnippet,
  snippetBody,
} from '@coldkeep/shared';
import * as vscode from 'vscode';
import { fixesFor, looksLikePolicy } from './policyFixes';

export const POLICY_LANGUAGES = ['json', 'jsonc', 'yaml'] as const;
const SOURCE = 'coldkeep';

function severityOf(finding: PolicyFinding): vscode.DiagnosticSeverity {
  if (finding.severity === 'error') return vscode.DiagnosticSeverity.Error;
  if (finding.severity === 'warning') return vscode.DiagnosticSeverity.Warning;
  return vscode.DiagnosticSeverity.Information;
}

function toDiagnostic(document: vscode.TextDocument, finding: PolicyFinding): vscode.Diagnostic {
  const range = new vscode.Range(
    document.positionAt(finding.start),
    document.positionAt(Math.max(finding.end, finding.start)),
  );
  const diagnostic = new vscode.Diagnostic(range, `${finding.message} ${finding.hint}`.trim(), severityOf(finding));
  diagnostic.source = SOURCE;
  diagnostic.code = finding.code;
  return diagnostic;
}

/**
 * The policy linter's findings as diagnostics on policy files and CloudFormation templates,
 * kept up to date as the user types (debounced), and cleared when a file is closed.
 */
export class PolicyDiagnostics implements vscode.Disposable {
  readonly collection = vscode.languages.createDiagnosticCollection(SOURCE);
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly enabled: () => boolean) {
    this.disposables.push(
      vscode.workspace.onDidOpenTextDocument((d) => this.schedule(d, 0)),
      vscode.workspace.onDidChangeTextDocument((e) => this.schedule(e.document, 400)),
      vscode.workspace.onDidCloseTextDocument((d) => this.collection.delete(d.uri)),
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
      return [];
    }
    const version = document.version;
    const result = await lintPolicy(text, { fileName: document.fileName });
    if (document.version !== version && !force) return result.findings;
    this.collection.set(
      document.uri,
      result.findings.map((f) => toDiagnostic(document, f)),
    );
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
  constructor(private readonly diagnostics: PolicyDiagnostics) {}

  provideCodeActions(
    document: vscode.TextDocument,
    range: vscode.Range,
    context: vscode.CodeActionContext,
  ): vscode.CodeAction[] {
    const text = document.getText();
    const ours = (this.diagnostics.collection.get(document.uri) ?? []).filter(
      (d) => d.range.intersection(range) !== undefined || context.diagnostics.some((c) => c.range.isEqual(d.range)),
    );
    return ours.flatMap((d) =>
      fixesFor(
        {
          code: d.code as PolicyFinding['code'],
          start: document.offsetAt(d.range.start),
          end: document.offsetAt(d.range.end),
        },
        text,
      ).map((fix) => {
        const action = new vscode.CodeAction(fix.title, vscode.CodeActionKind.QuickFix);
        action.diagnostics = [d];
        action.isPreferred = true;
        action.edit = new vscode.WorkspaceEdit();
        action.edit.replace(
          document.uri,
          new vscode.Range(document.positionAt(fix.edit.start), document.positionAt(fix.edit.end)),
          fix.edit.text,
        );
        return action;
      }),
    );
  }
}

export function snippetFormat(languageId: string): 'json' | 'yaml' {
  return languageId === 'yaml' ? 'yaml' : 'json';
}

/** The snippet catalogue as completions in JSON and YAML files (prefix "coldkeep"). */
export class PolicySnippetCompletions implements vscode.CompletionItemProvider {
  provideCompletionItems(document: vscode.TextDocument): vscode.CompletionItem[] {
    return POLICY_SNIPPETS.map((snippet) => snippetCompletion(snippet, snippetFormat(document.languageId)));
  }
}

function snippetCompletion(snippet: PolicySnippet, format: 'json' | 'yaml'): vscode.CompletionItem {
  const item = new vscode.CompletionItem(`coldkeep-${snippet.name}`, vscode.CompletionItemKind.Snippet);
  item.detail = `Coldkeep ${snippet.kind}`;
  item.documentation = snippet.description;
  item.insertText = new vscode.SnippetString(snippetBody(snippet, format));
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
