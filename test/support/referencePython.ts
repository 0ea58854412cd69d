// The Python that holds the reference Jinja2: Debian's python3-jinja2 lives under /usr/bin/python3,
// which a pyenv or venv `python3` on PATH would hide. In CI (CI=true) it must be there: .ci/run
// installs it, so a missing module fails the run instead of skipping the comparison.
import { existsSync } from 'node:fs';

export const REFERENCE_PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

/** Why the reference comparison cannot run here, or throws in CI, where it must run. */
export function referenceUnavailable(reason: string): string {
  if (process.env.CI) throw new Error(`reference Jinja2 unavailable in CI: ${reason}`);
  return reason;
}
