// Writes src/tensor/op-methods.generated.ts: one typed method per registry entry
// (src/core/op-registry.ts), so `x.add('oops')` and `x.matMul()` fail to compile.
// Tensor inputs come from the registry (which are tensors, which may be numbers,
// which are optional, which take a list); attribute types come from tfjs-core's
// own op signatures, read with the TypeScript compiler: the registry names the
// attributes, tfjs says what they hold. Written out as a plain interface so the
// declarations a user reads (and TypeDoc) show `matMul(b, transposeA?, transposeB?)`,
// not a conditional type.
//
// Run by `npm run gen` (and so by `prepare`); run with tsx, since the registry is TypeScript.
import { writeFileSync } from 'node:fs';
import ts from 'typescript';
import { OPS, opNames, type OpName } from '../src/core/op-registry.js';
import type { InputRule, ListRule } from '../src/core/op-checks.js';

const OUT = 'src/tensor/op-methods.generated.ts';

/** tfjs-core's op signatures, through the compiler: `tf.matMul`'s parameters, their types and whether optional. */
interface TfSignatures {
  readonly params: ReadonlyMap<string, readonly ts.Symbol[]>;
  readonly checker: ts.TypeChecker;
  /** Where types are read from (the probe file). */
  readonly at: ts.Node;
}

function tfSignatures(names: readonly string[]): TfSignatures {
  const probe = 'op-types-probe.ts';
  const source = `import * as tf from '@tensorflow/tfjs-core';\nexport const ops = { ${names.map((n) => `${n}: tf.${n}`).join(', ')} };\n`;
  const options: ts.CompilerOptions = {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    strict: true,
    skipLibCheck: true,
    noEmit: true,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const probePath = `${process.cwd()}/${probe}`;
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (file, language) =>
    file === probePath ? ts.createSourceFile(file, source, language) : getSourceFile(file, language);
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (file) => file === probePath || fileExists(file);
  const program = ts.createProgram([probePath], options, host);
  const checker = program.getTypeChecker();
  const file = program.getSourceFile(probePath)!;
  const problems = ts.getPreEmitDiagnostics(program, file);
  if (problems.length > 0) {
    throw new Error(`tfjs-core does not export every registered op:\n${ts.formatDiagnostics(problems, host)}`);
  }
  const ops = checker.getExportsOfModule(checker.getSymbolAtLocation(file)!).find((s) => s.name === 'ops')!;
  const opsType = checker.getTypeOfSymbolAtLocation(ops, file);
  const params = new Map<string, readonly ts.Symbol[]>();
  for (const name of names) {
    const signatures = checker.getTypeOfSymbolAtLocation(opsType.getProperty(name)!, file).getCallSignatures();
    if (signatures.length !== 1) throw new Error(`tf.${name} has ${signatures.length} call signatures; the generator reads exactly one.`);
    params.set(name, signatures[0]!.getParameters());
  }
  return { params, checker, at: file };
}

/** A tfjs parameter type as text, when it reads on its own (primitives, literals, arrays, tuples); else undefined. */
function plainType(param: ts.Symbol, checker: ts.TypeChecker, at: ts.Node): string | undefined {
  const type = checker.getNonNullableType(checker.getTypeOfSymbolAtLocation(param, at));
  const text = checker.typeToString(type, undefined, ts.TypeFormatFlags.NoTruncation);
  // Readable on its own when every name left after dropping string literals is a primitive.
  const words = text.replace(/(['"])[^'"]*\1/g, '').match(/[A-Za-z_$][\w$]*/g) ?? [];
  return words.every((w) => w === 'number' || w === 'boolean' || w === 'string') ? text : undefined;
}

function isOptional(param: ts.Symbol): boolean {
  const decl = param.valueDeclaration;
  return decl !== undefined && ts.isParameter(decl) && (decl.questionToken !== undefined || decl.initializer !== undefined);
}

const names = opNames();
const tf = tfSignatures(names);

/** The registry's attributes of `name` as parameters (`axis?: number | number[]`), from tfjs's parameter `tfIndex` on. */
function attrParams(name: OpName, tfIndex: number): string[] {
  const spec = OPS[name];
  const params = tf.params.get(name)!;
  return spec.attrs.map((attr, i) => {
    const param = params[tfIndex + i];
    if (param === undefined) throw new Error(`${name}: the registry names attribute ${attr} at position ${tfIndex + i}, but tf.${name} has ${params.length} parameters.`);
    const type = plainType(param, tf.checker, tf.at) ?? `TfArg<'${name}', ${tfIndex + i}>`;
    return `${attr}${isOptional(param) ? '?' : ''}: ${type}`;
  });
}

function inputType(rule: InputRule, tensor: string): string {
  return rule.kind === 'tensor-or-scalar' ? `${tensor} | number` : tensor;
}

function result(name: OpName, r: string): string {
  const outputs = OPS[name].outputs;
  if (outputs.kind === 'list') return `${r}[]`;
  if (outputs.kind === 'record') return `{ ${outputs.keys.map((k) => `${k}: ${r}`).join('; ')} }`;
  return r;
}

function inputsOf(name: OpName): readonly InputRule[] | ListRule {
  return OPS[name].checks.inputs as readonly InputRule[] | ListRule;
}

const methods: string[] = [];
const functional: string[] = [];
for (const name of names) {
  const inputs = inputsOf(name);
  let method: string[];
  let fn: string[];
  if (Array.isArray(inputs)) {
    const rules = inputs as readonly InputRule[];
    const rest = rules.slice(1).map((r) => `${r.name}${r.kind === 'optional-tensor' ? '?' : ''}: ${inputType(r, 'Operand')}`);
    method = [...rest, ...attrParams(name, rules.length)];
    fn = [...rules.map((r) => `${r.name}${r.kind === 'optional-tensor' ? '?' : ''}: ${inputType(r, 'T')}`), ...attrParams(name, rules.length)];
  } else {
    method = ['others: Operand | readonly Operand[]', ...attrParams(name, 1)];
    fn = ['tensors: readonly T[]', ...attrParams(name, 1)];
  }
  methods.push(`  ${name}(${method.join(', ')}): ${result(name, 'R')};`);
  functional.push(`  ${name}: [${fn.join(', ')}];`);
}

const text = `// Generated by scripts/gen-op-types.ts from src/core/op-registry.ts and tfjs-core's op signatures; do not edit.
import type * as tf from '@tensorflow/tfjs-core';

/** tfjs's type for parameter \`I\` of \`tf[K]\`, where it does not read on its own (tfjs-internal names). */
type TfArg<K extends keyof typeof tf, I extends number> = typeof tf[K] extends (...args: infer P) => unknown ? NonNullable<P[I]> : never;

/**
 * A tensor input of an op method: a tfjs tensor or any tensor with op methods
 * (syft tensor, pointer, multi-pointer). Deliberately not only the receiver's
 * kind: code that works on \`SyftTensor | PointerTensor\` (sy.nn, sy.optim)
 * calls methods on a union, whose parameters must then accept every member.
 * Where the tensors are (one worker, or here) is checked at call time.
 */
export type Operand = tf.Tensor | { op(name: string, ...args: unknown[]): unknown };

/**
 * The op methods the registry installs on a tensor-like class whose ops return
 * \`R\` (a pointer's return pointers, a syft tensor's syft tensors). The receiver
 * is the op's first input; the parameters are the rest of tfjs's, attributes
 * typed as tfjs types them. Values are checked again at call time against the
 * registry entry (a worker refuses what the types cannot rule out).
 */
export interface RegistryOpMethods<R> {
${methods.join('\n')}
}

/** Each op's arguments in functional form (\`sy.matMul(a, b)\`), \`T\` standing for a tensor input. */
export interface OpArgs<T> {
${functional.join('\n')}
}
`;
writeFileSync(OUT, text);
