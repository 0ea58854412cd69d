// The Jinja extensions the renderer implements, by every name makejinja.toml may give them
// (module path or class path). One table for the renderer and the makejinja.toml checks.

/** Extension name -> the tag it adds. */
const SUPPORTED: Record<string, 'do' | 'loopcontrols'> = {
  'jinja2.ext.do': 'do',
  'jinja2.ext.ExprStmtExtension': 'do',
  'jinja2.ext.loopcontrols': 'loopcontrols',
  'jinja2.ext.LoopControlExtension': 'loopcontrols',
};

/** Whether one of `extensions` enables the feature (`do` statements, `break`/`continue`). */
export function enablesExtension(extensions: readonly string[], feature: 'do' | 'loopcontrols'): boolean {
  return extensions.some((name) => SUPPORTED[name] === feature);
}

/** The extensions of a makejinja.toml list that the renderer does not implement. */
export function unsupportedExtensions(extensions: readonly string[]): string[] {
  return extensions.filter((name) => !(name in SUPPORTED));
}
