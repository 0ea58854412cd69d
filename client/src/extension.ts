// Activation and deactivation only: everything else lives in context.ts and its parts.
import type * as vscode from 'vscode';
import { ExtensionContextState } from './context';

let state: ExtensionContextState | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<{ whenReady(): Promise<void> }> {
  state = new ExtensionContextState(context);
  await state.start();
  return { whenReady: () => state!.whenReady() };
}

export async function deactivate(): Promise<void> {
  await state?.dispose();
  state = undefined;
}
