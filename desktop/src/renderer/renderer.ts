// Runs in the page, without Node: the only way out is `window.coldkeep`, exposed by the preload.
// This file is a classic script (no import/export), so tsc emits plain browser JavaScript.

async function showAppInfo(): Promise<void> {
  const element = document.getElementById('app-info');
  if (!element) return;
  try {
    const info = await window.coldkeep.getAppInfo();
    element.textContent = `${info.name} ${info.version} · Electron ${info.electronVersion} · ${info.platform}`;
  } catch (error) {
    element.classList.add('error');
    element.textContent = `Could not reach the app: ${error instanceof Error ? error.message : String(error)}`;
  }
}

void showAppInfo();
