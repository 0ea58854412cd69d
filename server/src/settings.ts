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
}

export const DEFAULT_SETTINGS: ServerSettings = {
  validation: { enable: true },
  schema: { useWorkspaceSchema: true },
};

/** Settings from the client, with defaults for anything missing or of the wrong type. */
export function readSettings(raw: unknown): ServerSettings {
  const section = (raw && typeof raw === 'object' ? raw : {}) as Record<string, Record<string, unknown> | undefined>;
  const bool = (value: unknown, fallback: boolean): boolean => (typeof value === 'boolean' ? value : fallback);
  return {
    validation: { enable: bool(section.validation?.enable, DEFAULT_SETTINGS.validation.enable) },
    schema: { useWorkspaceSchema: bool(section.schema?.useWorkspaceSchema, DEFAULT_SETTINGS.schema.useWorkspaceSchema) },
  };
}
