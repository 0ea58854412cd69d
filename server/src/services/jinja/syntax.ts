// The delimiter and whitespace settings a Jinja template is read with (Jinja's Environment options).
// Plain data only: reading them from makejinja.toml belongs to engines/render.

export interface JinjaSyntax {
  blockStart: string;
  blockEnd: string;
  variableStart: string;
  variableEnd: string;
  commentStart: string;
  commentEnd: string;
  /** A line starting with this (after spaces) is a statement, like Jinja's `line_statement_prefix`. */
  lineStatementPrefix?: string;
  /** From this to the end of the line is a comment, like Jinja's `line_comment_prefix`. */
  lineCommentPrefix?: string;
  /** Drop the first newline after a block tag (Jinja `trim_blocks`); only the renderer uses it. */
  trimBlocks: boolean;
  /** Strip spaces before a block tag at the start of a line (Jinja `lstrip_blocks`); only the renderer uses it. */
  lstripBlocks: boolean;
}

/** Jinja's own defaults: `{% %}`, `{{ }}`, `{# #}`. */
export const JINJA_DEFAULT_SYNTAX: JinjaSyntax = Object.freeze({
  blockStart: '{%',
  blockEnd: '%}',
  variableStart: '{{',
  variableEnd: '}}',
  commentStart: '{#',
  commentEnd: '#}',
  trimBlocks: false,
  lstripBlocks: false,
});

/**
 * The makejinja settings of onedr0p/cluster-template: `#% %#`, `#{ }#`, and `#| ... #|` comments
 * (start and end are the same string), with trim_blocks and lstrip_blocks on as makejinja does.
 */
export const MAKEJINJA_CLUSTER_TEMPLATE_SYNTAX: JinjaSyntax = Object.freeze({
  blockStart: '#%',
  blockEnd: '%#',
  variableStart: '#{',
  variableEnd: '}#',
  commentStart: '#|',
  commentEnd: '#|',
  trimBlocks: true,
  lstripBlocks: true,
});
