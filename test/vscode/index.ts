/**
 * The extension-host test suite: loaded by a real VS Code (code-server) as extensionTestsPath,
 * next to the extension under development. VS Code calls run(); a rejection fails the run
 * (the window then reports exit code 1 through codeAutomationExit). Driven by
 * test/e2e/vscodeExtension.test.ts, which starts the server, the emulators and Chromium.
 */
import { hostTests } from './hostTests';

export async function run(): Promise<void> {
  const failures: string[] = [];
  for (const { name, fn } of hostTests) {
    const started = Date.now();
    try {
      await fn();
      console.log(`[coldkeep-host] ok ${name} (${Date.now() - started} ms)`);
    } catch (err) {
      const text = err instanceof Error ? (err.stack ?? err.message) : String(err);
      console.log(`[coldkeep-host] FAIL ${name}: ${text}`);
      failures.push(name);
    }
  }
  console.log(`[coldkeep-host] ${hostTests.length - failures.length} passed, ${failures.length} failed`);
  if (failures.length) throw new Error(`Failed: ${failures.join('; ')}`);
}
