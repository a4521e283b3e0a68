// The README's ```ts snippets, so that they cannot rot: every block compiles
// (strict, against src/ through a `syft-ts` path mapping), and a block that is
// a whole program (it imports syft-ts itself) runs and prints what it promises.
//
// A block may lean on the README's running example without repeating it: tf
// and sy are imported, and hook, bob, alice and james declared, for a block
// that does not make them itself. Anything else a block uses it must define.
// The only way out is a marker comment inside the block: `// snippet: fragment`
// (checked for nothing; say why next to it).
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const FRAGMENT = '// snippet: fragment';

interface Snippet {
  /** 1-based line of the block's first code line in README.md. */
  readonly line: number;
  readonly code: string;
}

function extractSnippets(markdown: string): Snippet[] {
  const lines = markdown.split('\n');
  const out: Snippet[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i]!.trim() !== '```ts') continue;
    const start = i + 1;
    let end = start;
    while (end < lines.length && lines[end]!.trim() !== '```') end++;
    out.push({ line: start + 1, code: lines.slice(start, end).join('\n') });
    i = end;
  }
  return out;
}

const CONTEXT: Record<string, string> = {
  hook: 'sy.Hook',
  bob: 'sy.VirtualWorker',
  alice: 'sy.VirtualWorker',
  james: 'sy.VirtualWorker',
};

/** Names a block declares at its top level (const/let/function/class, destructuring included). */
function declaredNames(code: string): Set<string> {
  const names = new Set<string>();
  const file = ts.createSourceFile('block.ts', code, ts.ScriptTarget.ES2022, true);
  const bind = (name: ts.BindingName): void => {
    if (ts.isIdentifier(name)) names.add(name.text);
    else for (const element of name.elements) if (!ts.isOmittedExpression(element)) bind(element.name);
  };
  for (const statement of file.statements) {
    if (ts.isVariableStatement(statement)) for (const d of statement.declarationList.declarations) bind(d.name);
    if ((ts.isFunctionDeclaration(statement) || ts.isClassDeclaration(statement)) && statement.name) names.add(statement.name.text);
    if (ts.isImportDeclaration(statement) && statement.importClause) {
      const clause = statement.importClause;
      if (clause.name) names.add(clause.name.text);
      const bindings = clause.namedBindings;
      if (bindings && ts.isNamespaceImport(bindings)) names.add(bindings.name.text);
      if (bindings && ts.isNamedImports(bindings)) for (const e of bindings.elements) names.add(e.name.text);
    }
  }
  return names;
}

/** The block with the running example's names it does not make itself; returns the prelude's line count too. */
function withPrelude(code: string): { text: string; preludeLines: number } {
  const declared = declaredNames(code);
  const prelude: string[] = [];
  if (!declared.has('tf')) prelude.push("import * as tf from '@tensorflow/tfjs';");
  if (!declared.has('sy')) prelude.push("import * as sy from 'syft-ts';");
  for (const [name, type] of Object.entries(CONTEXT)) if (!declared.has(name)) prelude.push(`declare const ${name}: ${type};`);
  // Every block is a module (top-level await), and names from the prelude may go unused.
  prelude.push('export {};', 'void [tf, sy];');
  return { text: [...prelude, code].join('\n'), preludeLines: prelude.length };
}

/** A whole program: it imports syft-ts and makes its own hook. */
const isProgram = (code: string): boolean => /from 'syft-ts'/.test(code) && declaredNames(code).has('hook');

const snippets = extractSnippets(readFileSync(join(ROOT, 'README.md'), 'utf8'));
let dir: string;
let diagnostics: Map<string, string[]>;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'syft-readme-'));
  // The snippets import packages as a user would: resolve them from the repository's node_modules.
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
  const files = snippets.map((s, i) => {
    const file = join(dir, `snippet-${i}.ts`);
    writeFileSync(file, withPrelude(s.code).text);
    return file;
  });
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    lib: ['lib.es2023.d.ts', 'lib.esnext.disposable.d.ts'],
    types: ['node'],
    typeRoots: [join(ROOT, 'node_modules/@types')],
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    esModuleInterop: true,
    allowJs: true,
    paths: { 'syft-ts': [join(ROOT, 'src/index.ts')] },
  };
  const program = ts.createProgram(files, options);
  diagnostics = new Map(
    files.map((file, i) => {
      const source = program.getSourceFile(file)!;
      const { preludeLines } = withPrelude(snippets[i]!.code);
      const messages = ts.getPreEmitDiagnostics(program, source).map((d) => {
        const { line } = d.file ? d.file.getLineAndCharacterOfPosition(d.start ?? 0) : { line: preludeLines };
        return `README.md:${snippets[i]!.line + line - preludeLines}: TS${d.code} ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`;
      });
      return [file, messages];
    }),
  );
}, 120_000);

afterAll(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

describe('README.md ```ts snippets', () => {
  test('the README has snippets, and the five-line one is a whole program', () => {
    expect(snippets.length).toBeGreaterThanOrEqual(5);
    expect(snippets.filter((s) => isProgram(s.code)).length).toBeGreaterThanOrEqual(1);
  });

  snippets.forEach((snippet, i) => {
    const fragment = snippet.code.includes(FRAGMENT);
    test.skipIf(fragment)(`the block at README.md:${snippet.line} compiles`, () => {
      expect(diagnostics.get(join(dir, `snippet-${i}.ts`))).toEqual([]);
    });
  });

  snippets.forEach((snippet, i) => {
    if (!isProgram(snippet.code) || snippet.code.includes(FRAGMENT)) return;
    test(`the program at README.md:${snippet.line} runs`, async () => {
      const file = join(dir, `run-${i}.ts`);
      writeFileSync(file, snippet.code);
      // tsx resolves `syft-ts` through this tsconfig's paths, to the sources.
      writeFileSync(
        join(dir, 'tsconfig.json'),
        JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', paths: { 'syft-ts': [join(ROOT, 'src/index.ts')] } } }),
      );
      const { stdout } = await promisify(execFile)(join(ROOT, 'node_modules/.bin/tsx'), ['--tsconfig', join(dir, 'tsconfig.json'), file], {
        cwd: dir,
        env: { ...process.env, SYFT_QUIET: '1' },
        timeout: 60_000,
      });
      // Each README program says in a comment what it prints; the five-line one brings [2,3,4,5,6] home.
      if (/z\.get\(\)/.test(snippet.code)) expect(stdout.replace(/\s+/g, ' ')).toContain('[2, 3, 4, 5, 6]');
      expect(stdout.length).toBeGreaterThan(0);
    }, 90_000);
  });
});
