// The server's settings (section `clusterTemplate`) and their defaults: the one source of truth.
// package.json declares the same keys for the Settings UI; a unit test keeps both equal.

export interface ServerSettings {
  validation: {
    /** Check cluster.yaml and nodes.yaml as you type. */
    enable: boolean;
  };
  schema: {
    /** Use the workspace's own schema (.taskfiles/template/resources/*.schema.cue or .json) to decide which keys exist. */
    useWorkspaceSchema: boolean;
  };
  render: {
    /** The Python interpreter that runs the workspace's plugin.py data() in a trusted workspace. */
    pythonPath: string;
  };
  sops: {
    /** native: our TypeScript engine; cli: the `sops` binary on PATH (also used for key types we do not implement). */
    engine: SopsEngineSetting;
    /** An age identity file; empty means the usual places (environment, age.key, ~/.config/sops/age/keys.txt). */
    ageKeyFile: string;
  };
}

export type SopsEngineSetting = 'native' | 'cli';

export const DEFAULT_SETTINGS: ServerSettings = {
  validation: { enable: true },
  schema: { useWorkspaceSchema: true },
  render: { pythonPath: 'python3' },
  sops: { engine: 'native', ageKeyFile: '' },
};

/** Settings from the client, with defaults for anything missing or of the wrong type. */
export function readSettings(raw: unknown): ServerSettings {
  const section = (raw && typeof raw === 'object' ? raw : {}) as Record<string, Record<string, unknown> | undefined>;
  const bool = (value: unknown, fallback: boolean): boolean => (typeof value === 'boolean' ? value : fallback);
  // An empty path means "the default", as the Settings UI leaves a cleared text box.
  const text = (value: unknown, fallback: string): string => (typeof value === 'string' && value.trim() !== '' ? value.trim() : fallback);
  return {
    validation: { enable: bool(section.validation?.enable, DEFAULT_SETTINGS.validation.enable) },
    schema: { useWorkspaceSchema: bool(section.schema?.useWorkspaceSchema, DEFAULT_SETTINGS.schema.useWorkspaceSchema) },
    render: { pythonPath: text(section.render?.pythonPath, DEFAULT_SETTINGS.render.pythonPath) },
    sops: {
      engine: section.sops?.engine === 'cli' || section.sops?.engine === 'native' ? section.sops.engine : DEFAULT_SETTINGS.sops.engine,
      ageKeyFile: typeof section.sops?.ageKeyFile === 'string' ? section.sops.ageKeyFile.trim() : DEFAULT_SETTINGS.sops.ageKeyFile,
    },
  };
}
