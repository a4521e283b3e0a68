/**
 * The examples' command line: one declaration per option gives the parsing,
 * the checks and the `--help` text, so the help never drifts from what an
 * example accepts. `--help` (or `-h`) prints what the example does and its
 * options, and exits 0; a bad option or value prints why and the usage, and
 * exits 2 (the usual code for a usage error), before any worker starts.
 */
import { basename, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

interface Described {
  /** One line for the help. */
  readonly description: string;
}
type OptionSpec = Described &
  (
    | { readonly type: 'boolean' }
    | { readonly type: 'string'; readonly placeholder: string; readonly default?: string; readonly choices?: readonly string[] }
    | { readonly type: 'integer'; readonly placeholder: string; readonly default?: number; readonly min?: number; readonly max?: number }
  );

type ValueOf<S extends OptionSpec> = S extends { readonly type: 'boolean' }
  ? boolean
  : S extends { readonly type: 'integer' }
    ? S extends { readonly default: number }
      ? number
      : number | undefined
    : S extends { readonly default: string }
      ? string
      : string | undefined;

type Values<O extends Readonly<Record<string, OptionSpec>>> = { readonly [K in keyof O]: ValueOf<O[K]> };

interface ExampleCli<O extends Readonly<Record<string, OptionSpec>>> {
  /** The example's import.meta.url: its path goes into the usage line. */
  readonly url: string;
  /** What the example does, a few lines; printed first by --help. */
  readonly about: string;
  readonly options: O;
  /** How long a run takes, for the help. */
  readonly takes?: string;
}

/** `--quiet`, as every long-running example declares it. */
export const QUIET = {
  type: 'boolean',
  description: 'print only the final result (no progress, no per-round table); SYFT_QUIET=1 does the same',
} as const;

/** Parses `argv` (default: this process's arguments) by `cli.options`; prints help or a usage error and exits. */
export function exampleArgs<const O extends Readonly<Record<string, OptionSpec>>>(cli: ExampleCli<O>, argv: readonly string[] = process.argv.slice(2)): Values<O> {
  const usage = helpText(cli);
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        help: { type: 'boolean', short: 'h' },
        ...Object.fromEntries(Object.entries(cli.options).map(([name, spec]) => [name, { type: spec.type === 'boolean' ? 'boolean' : 'string' } as const])),
      },
    });
  } catch (error) {
    return fail((error as Error).message, usage);
  }
  if (parsed.values['help'] === true) {
    process.stdout.write(usage);
    process.exit(0);
  }
  const values: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(cli.options)) {
    const given = parsed.values[name];
    if (spec.type === 'boolean') values[name] = given === true;
    else if (spec.type === 'string') {
      const value = typeof given === 'string' ? given : spec.default;
      if (value !== undefined && spec.choices !== undefined && !spec.choices.includes(value)) {
        return fail(`--${name} must be one of ${spec.choices.join(', ')}; got '${value}'`, usage);
      }
      values[name] = value;
    } else {
      if (typeof given !== 'string') {
        values[name] = spec.default;
        continue;
      }
      const value = Number(given);
      const min = spec.min ?? 1;
      const max = spec.max ?? Number.MAX_SAFE_INTEGER;
      if (!(Number.isSafeInteger(value) && value >= min && value <= max && /^\s*-?\d+\s*$/.test(given))) {
        return fail(`--${name} must be a whole number from ${min}${spec.max === undefined ? ' up' : ` to ${max}`}; got '${given}'`, usage);
      }
      values[name] = value;
    }
  }
  return values as Values<O>;
}

function fail(message: string, usage: string): never {
  process.stderr.write(`error: ${message}\n\n${usage}`);
  process.exit(2);
}

function helpText(cli: ExampleCli<Readonly<Record<string, OptionSpec>>>): string {
  const file = fileURLToPath(cli.url);
  const shown = relative(process.cwd(), file) || basename(file);
  const rows: Array<[string, string]> = Object.entries(cli.options).map(([name, spec]) => {
    const flag = spec.type === 'boolean' ? `--${name}` : `--${name} <${spec.placeholder}>`;
    const choices = spec.type === 'string' && spec.choices !== undefined ? ` (${spec.choices.join(' | ')})` : '';
    const fallback = spec.type !== 'boolean' && spec.default !== undefined ? ` [default: ${spec.default}]` : '';
    return [flag, `${spec.description}${choices}${fallback}`];
  });
  rows.push(['-h, --help', 'print this help and exit']);
  const width = Math.max(...rows.map(([flag]) => flag.length));
  return [
    cli.about.trim(),
    '',
    `Usage: npx tsx --expose-gc ${shown} [options]`,
    ...(cli.takes === undefined ? [] : [`Takes ${cli.takes}.`]),
    '',
    'Options:',
    ...rows.map(([flag, text]) => `  ${flag.padEnd(width)}  ${text}`),
    '',
  ].join('\n');
}
