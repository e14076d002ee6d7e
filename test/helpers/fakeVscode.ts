import Module from 'node:module';

/**
 * A small fake of the `vscode` module, enough for the extension's logic to run under Node's
 * test runner: tree items, events, status bar, messages, progress with a cancellable token,
 * input boxes and quick picks answered from a script. Install it before requiring extension code.
 */
export interface FakeVscode {
  messages: { level: 'info' | 'warning' | 'error'; text: string }[];
  /** Answers for showInputBox / showQuickPick, taken in order; undefined = the user pressed Escape. */
  answers: unknown[];
  /** The items of every quick pick shown, in order. */
  picks: unknown[][];
  /** Replies to modal messages (a button's title; undefined = closed), taken in order. */
  modalReplies: (string | undefined)[];
  /** Called with the progress token's cancel, so a test can press "Cancel" mid-job. */
  onProgress?: (cancel: () => void) => void;
  executed: { command: string; args: unknown[] }[];
  clipboard: string;
  config: Record<string, unknown>;
  statusBar: { text: string; tooltip: string; visible: boolean };
}

export function installFakeVscode(): FakeVscode {
  const state: FakeVscode = {
    messages: [],
    answers: [],
    picks: [],
    modalReplies: [],
    executed: [],
    clipboard: '',
    config: {},
    statusBar: { text: '', tooltip: '', visible: false },
  };

  class EventEmitter<T> {
    private listeners: ((e: T) => void)[] = [];
    event = (listener: (e: T) => void): { dispose(): void } => {
      this.listeners.push(listener);
      return { dispose: () => (this.listeners = this.listeners.filter((l) => l !== listener)) };
    };
    fire(e: T): void {
      for (const l of this.listeners) l(e);
    }
    dispose(): void {
      this.listeners = [];
    }
  }
  class CancellationTokenSource {
    private readonly emitter = new EventEmitter<void>();
    token = { isCancellationRequested: false, onCancellationRequested: this.emitter.event };
    cancel(): void {
      this.token.isCancellationRequested = true;
      this.emitter.fire();
    }
    dispose(): void {}
  }
  class TreeItem {
    description?: string;
    tooltip?: string;
    contextValue?: string;
    iconPath?: unknown;
    command?: unknown;
    constructor(
      public label: string,
      public collapsibleState: number,
    ) {}
  }
  const message =
    (level: 'info' | 'warning' | 'error') =>
    async (text: string, options?: unknown): Promise<string | undefined> => {
      state.messages.push({ level, text });
      return (options as { modal?: boolean } | undefined)?.modal ? state.modalReplies.shift() : undefined;
    };
  const answer = async (): Promise<unknown> => state.answers.shift();

  const vscode = {
    EventEmitter,
    CancellationTokenSource,
    TreeItem,
    TreeItemCollapsibleState: { None: 0, Collapsed: 1, Expanded: 2 },
    ThemeIcon: class {
      constructor(
        public id: string,
        public color?: { id: string },
      ) {}
    },
    ThemeColor: class {
      constructor(public id: string) {}
    },
    StatusBarAlignment: { Left: 1, Right: 2 },
    QuickPickItemKind: { Separator: -1, Default: 0 },
    ProgressLocation: { Notification: 15 },
    ConfigurationTarget: { Global: 1 },
    Uri: class Uri {
      constructor(public fsPath = '') {}
      static file(path: string): Uri {
        return new Uri(path);
      }
    },
    window: {
      showInformationMessage: message('info'),
      showWarningMessage: message('warning'),
      showErrorMessage: message('error'),
      showInputBox: async (options?: { validateInput?: (v: string) => unknown }) => {
        const value = await answer();
        if (typeof value === 'string' && options?.validateInput) {
          const problem = await options.validateInput(value);
          if (problem) throw new Error(`fake input box: "${value}" would not be accepted: ${String(problem)}`);
        }
        return value;
      },
      showQuickPick: async (items: unknown) => {
        state.picks.push(Array.isArray(items) ? items : []);
        return answer();
      },
      showOpenDialog: answer,
      createOutputChannel: () => ({ appendLine: () => undefined, show: () => undefined, dispose: () => undefined }),
      createStatusBarItem: () => {
        const item = {
          name: '',
          command: '',
          backgroundColor: undefined as unknown,
          get text() {
            return state.statusBar.text;
          },
          set text(v: string) {
            state.statusBar.text = v;
          },
          get tooltip() {
            return state.statusBar.tooltip;
          },
          set tooltip(v: string) {
            state.statusBar.tooltip = v;
          },
          show: () => (state.statusBar.visible = true),
          hide: () => (state.statusBar.visible = false),
          dispose: () => undefined,
        };
        return item;
      },
      withProgress: async <T>(
        _options: unknown,
        task: (progress: { report(v: unknown): void }, token: CancellationTokenSource['token']) => Promise<T>,
      ): Promise<T> => {
        const source = new CancellationTokenSource();
        state.onProgress?.(() => source.cancel());
        return task({ report: () => undefined }, source.token);
      },
    },
    commands: {
      executeCommand: async (command: string, ...args: unknown[]) => {
        state.executed.push({ command, args });
        return undefined;
      },
      registerCommand: () => ({ dispose: () => undefined }),
    },
    env: {
      clipboard: {
        writeText: async (text: string) => {
          state.clipboard = text;
        },
        readText: async () => state.clipboard,
      },
    },
    workspace: {
      getConfiguration: () => ({ get: (key: string) => state.config[key], update: async () => undefined }),
      onDidChangeConfiguration: () => ({ dispose: () => undefined }),
    },
  };

  const resolve = (Module as unknown as { _resolveFilename: (request: string, ...rest: unknown[]) => string })
    ._resolveFilename;
  (Module as unknown as { _resolveFilename: (request: string, ...rest: unknown[]) => string })._resolveFilename =
    function (request: string, ...rest: unknown[]) {
      if (request === 'vscode') return 'vscode';
      return resolve.call(this, request, ...rest);
    };
  const cached = new Module('vscode');
  cached.exports = vscode;
  cached.loaded = true;
  require.cache.vscode = cached;
  return state;
}
