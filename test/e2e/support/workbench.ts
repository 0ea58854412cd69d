// Reading and answering VS Code's notifications and modal dialogs, and reading the text of the
// editor behind a tab, for real-editor tests. Only reads the UI, like codeServer.ts.
import type { Locator, Page } from 'playwright-core';
import { uiTimeoutMs } from './codeServer';

/**
 * Waits for a notification whose message matches, as a toast or in the open notification center,
 * and returns it (its buttons are inside).
 */
export async function waitForNotification(page: Page, message: string | RegExp, timeoutMs = uiTimeoutMs): Promise<Locator> {
  const notification = page
    .locator('.notifications-toasts .notification-toast, .notifications-center.visible .notification-list-item', { hasText: message })
    .first();
  await notification.waitFor({ timeout: timeoutMs });
  return notification;
}

/**
 * Opens the notification center, where every new notification is listed while it stays open.
 * Tests that show several notifications in quick succession need it: VS Code's spam protection
 * shows at most three new toasts within 800 ms and puts the rest only in the center.
 */
export async function showNotificationCenter(page: Page): Promise<void> {
  const center = page.locator('.notifications-center.visible');
  if (await center.isVisible()) return;
  await runPaletteCommand(page, 'Notifications: Show Notifications');
  await center.waitFor();
}

/** Closes the notification center (new notifications show as toasts again). */
export async function hideNotificationCenter(page: Page): Promise<void> {
  const center = page.locator('.notifications-center.visible');
  if (!(await center.isVisible())) return;
  await runPaletteCommand(page, 'Notifications: Hide Notifications');
  await center.waitFor({ state: 'hidden' });
}

async function runPaletteCommand(page: Page, title: string): Promise<void> {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.fill(`>${title}`);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first().waitFor();
  await page.keyboard.press('Enter');
}

/** Clicks a button of a notification (a toast or an entry of the center). */
export async function clickNotificationButton(notification: Locator, label: string): Promise<void> {
  await notification.getByRole('button', { name: label, exact: true }).click();
}

/** Waits for a modal dialog whose text matches and returns it. */
export async function waitForDialog(page: Page, text: string | RegExp, timeoutMs = uiTimeoutMs): Promise<Locator> {
  const dialog = page.locator('.monaco-dialog-box', { hasText: text }).first();
  await dialog.waitFor({ timeout: timeoutMs });
  return dialog;
}

/** Clicks a button of a modal dialog and waits until the dialog closes. */
export async function clickDialogButton(dialog: Locator, label: string): Promise<void> {
  await dialog.getByRole('button', { name: label, exact: true }).click();
  await dialog.waitFor({ state: 'hidden' });
}

/**
 * The rendered lines of the editor whose active tab's label matches (only the lines in view
 * exist in the page; Monaco writes spaces as no-break spaces, given back as plain spaces).
 */
export async function editorTextOfTab(page: Page, tabLabel: RegExp): Promise<string> {
  const group = page.locator('.editor-group-container').filter({ has: page.locator('.tabs-container .tab.active', { hasText: tabLabel }) });
  const text = await group.first().locator('.monaco-editor .view-lines').first().innerText();
  return text.replace(/\u00a0/g, ' ');
}

/** Polls a UI condition every 50 ms, for states no selector can express (an editor's text). */
export async function waitUntil(what: string, condition: () => Promise<boolean>, timeoutMs = uiTimeoutMs): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolveTick) => setTimeout(resolveTick, 50));
  }
}
