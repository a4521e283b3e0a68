/**
 * The base of every layer (PyTorch's nn.Module). A module's parameters are
 * syft tensors while it is local and pointers once it is sent: forward() is
 * written once with registry ops, which run wherever the parameters are.
 */
import { noGrad } from '../autograd/no-grad.js';
import { InvalidArgumentError } from '../core/errors.js';
import type { Location } from '../core/handles.js';
import { checkTrainJob, type ModuleSpec, type TrainJob, type TrainPlan } from '../core/specs.js';
// Types only: modules are built in workers too, where no pointer exists.
import type { LocalTensor, PointerTensor } from '../pointers/pointer-tensor.js';
import { SyftTensor } from '../tensor/syft-tensor.js';

export type { ModuleSpec } from '../core/specs.js';

/** A parameter: local, or at a worker. */
export type Parameter = SyftTensor | PointerTensor<SyftTensor>;
/**
 * What flows through forward(): a local syft tensor or a pointer. A pointer to
 * any local kind: `tf.randomUniform(...).send(bob)` (a PointerTensor<tf.Tensor>)
 * runs through a model like a sent syft tensor does.
 */
export type Activation = SyftTensor | PointerTensor<LocalTensor>;

/** Supplies existing parameters, in namedParameters() order, to a module being rebuilt. */
export type ParameterSource = () => Parameter;

export abstract class Module {
  /** Dropout and the like behave differently in training (train()) and evaluation (eval()). */
  training = true;
  readonly #params = new Map<string, Parameter>();
  readonly #children = new Map<string, Module>();
  /** Names this module's training session at a worker (its optimizer state lives there). */
  #trainKey: number | undefined;

  /** Runs the layer where `x` is: a syft tensor in, a syft tensor out; a pointer in, a pointer out. */
  abstract forward<A extends Activation>(x: A): A;

  /** Every parameter, children's included, in registration order. */
  parameters(): Parameter[] {
    return this.namedParameters().map(([, p]) => p);
  }

  /** Parameters with their dotted names ('0.weight', '0.bias', ...). */
  namedParameters(): Array<[string, Parameter]> {
    const own = [...this.#params];
    const nested = [...this.#children].flatMap(([name, child]) =>
      child.namedParameters().map(([n, p]) => [`${name}.${n}`, p] as [string, Parameter]),
    );
    return [...own, ...nested];
  }

  train(mode = true): this {
    this.training = mode;
    for (const child of this.#children.values()) child.train(mode);
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /** Sends every parameter to `worker` (PySyft's model.send(bob)); the local copies are released. */
  send(worker: Location): this {
    return this.#mapParameters((p) => {
      if (!(p instanceof SyftTensor)) return p.move(worker);
      const sent = p.send(worker);
      p.dispose();
      return sent;
    });
  }

  /** Moves every parameter to `worker`, worker to worker, gradients along. */
  move(worker: Location): this {
    return this.#mapParameters((p) => {
      if (p instanceof SyftTensor) throw new InvalidArgumentError('move(): this module is local; send() it first.');
      return p.move(worker);
    });
  }

  /** Brings every parameter home, with its gradient (PySyft's model.get()). */
  async get(): Promise<this> {
    const named = this.namedParameters();
    const local = await Promise.all(named.map(([, p]) => (p instanceof SyftTensor ? p : p.get())));
    named.forEach(([name], i) => this.#setParameter(name, local[i]!));
    return this;
  }

  /**
   * A copy with its own parameters, where these are: leaves that require a
   * gradient, with no history and no gradient yet (PySyft's model.copy()).
   */
  copy(): this {
    const twin = this.clone();
    // clone() initialised parameters of its own: replaced below, so disposed here (they leaked, 2 per layer per copy).
    const initial = twin.parameters();
    for (const [name, p] of this.namedParameters()) {
      const fresh = noGrad(() =>
        p instanceof SyftTensor ? new SyftTensor(p.tensor.clone(), { requiresGrad: true }) : (p.clone() as PointerTensor<SyftTensor>).requireGrad(),
      );
      twin.#setParameter(name, fresh);
    }
    for (const p of initial) p.dispose();
    return twin;
  }

  /** The parameters by dotted name. */
  stateDict(): Record<string, Parameter> {
    return Object.fromEntries(this.namedParameters());
  }

  /** Replaces parameters by dotted name; every name must exist. */
  loadStateDict(state: Readonly<Record<string, Parameter>>): this {
    const names = new Set(this.namedParameters().map(([n]) => n));
    for (const [name, p] of Object.entries(state)) {
      if (!names.has(name)) throw new InvalidArgumentError(`loadStateDict: no parameter '${name}'; this module has ${[...names].join(', ')}.`);
      this.#setParameter(name, p);
    }
    return this;
  }

  /** The worker holding the parameters (PySyft's model.location: `model.location.id`), or undefined for a local module. */
  get location(): Location | undefined {
    const first = this.parameters()[0];
    return first === undefined || first instanceof SyftTensor ? undefined : first.location;
  }

  /**
   * Trains the module where its parameters are, `plan.steps` steps in one
   * message (forward, gradients and update all inside the worker), and
   * resolves with the loss of each step. The optimizer's state stays at the
   * worker between calls. `x` and `y` must be at the parameters' worker.
   */
  async trainOn(x: PointerTensor<unknown>, y: PointerTensor<unknown>, plan: TrainPlan): Promise<readonly number[]> {
    const params = this.parameters();
    const at = x.location;
    const remote: PointerTensor<unknown>[] = [];
    for (const p of [...params, y]) {
      if (p instanceof SyftTensor || p.location !== at || p.route.length !== 1) {
        throw new InvalidArgumentError(
          `trainOn(): the parameters and the data must all be at ${at.id}, directly; send() the module there first.`,
        );
      }
      remote.push(p);
    }
    this.#trainKey ??= at.owner.nextId();
    const job: TrainJob = { ...plan, model: this.spec() };
    // Refused here, named, before anything is sent: a loss name the worker does not know, an empty model, labels of the wrong kind.
    checkTrainJob('trainOn()', job, y.shape !== undefined && y.dtype !== undefined ? { shape: y.shape, dtype: y.dtype } : undefined);
    const paramIds = remote.slice(0, -1).map((p) => p.idAtLocation);
    const reply = await at.request({ type: 'train', key: this.#trainKey, params: paramIds, x: x.idAtLocation, y: y.idAtLocation, job });
    return reply.losses;
  }

  /** The module as data (see ModuleSpec). */
  abstract spec(): ModuleSpec;

  /** A structurally identical module (same hyperparameters), parameters to be filled in. */
  protected abstract clone(): this;

  protected registerParameter(name: string, p: Parameter): Parameter {
    this.#params.set(name, p);
    return p;
  }

  protected registerModule<M extends Module>(name: string, m: M): M {
    this.#children.set(name, m);
    return m;
  }

  protected parameter(name: string): Parameter {
    return this.#params.get(name)!;
  }

  protected child(name: string): Module {
    return this.#children.get(name)!;
  }

  #mapParameters(f: (p: Parameter) => Parameter): this {
    for (const [name, p] of this.namedParameters()) this.#setParameter(name, f(p));
    return this;
  }

  #setParameter(dotted: string, p: Parameter): void {
    const [head, ...rest] = dotted.split('.');
    if (rest.length === 0) this.#params.set(head!, p);
    else this.#children.get(head!)!.#setParameter(rest.join('.'), p);
  }
}
