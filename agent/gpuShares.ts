// Which of a node's GPUs each job attempt on it may use, when the node runs several jobs at once
// (`jobSlotsPerNode`): a run message's `gpus` asks for that many. The attempt's tasks on the node share the devices
// its first task was given; a new attempt gets those held by the fewest attempts (then the lowest numbers), so
// four one-GPU jobs on a four-GPU node get one device each, and six on it leave two devices with two jobs each.
// The agent alone decides (it knows what runs on its node); an agent started again stops the tasks of the one
// before it (agent/taskJournal.ts), so nothing held survives the process.

/** The devices a task may use, as CUDA_VISIBLE_DEVICES lists them and docker's `--gpus device=...` takes them. */
export type GpuDevices = readonly number[];

export class GpuShares {
  /** Task id -> its attempt and the devices it was given. */
  private readonly held = new Map<string, { attempt: string; devices: GpuDevices }>();

  /** `total`: the node's GPUs (nvidia-smi's count on a VM, the size's on a local node). */
  constructor(private readonly total: number) {}

  /**
   * Gives task `taskId` of job attempt `attempt` (any key naming it: the agent passes the attempt's label) `wanted`
   * devices, or undefined: every GPU of the node
   * (none asked for, none on the node, or as many as the node has).
   */
  take(taskId: string, attempt: string, wanted: number | undefined): GpuDevices | undefined {
    if (wanted === undefined || this.total === 0 || wanted >= this.total) return undefined;
    for (const share of this.held.values()) {
      if (share.attempt === attempt) {
        this.held.set(taskId, share);
        return share.devices;
      }
    }
    const holders = Array.from({ length: this.total }, () => new Set<string>());
    for (const share of this.held.values()) {
      for (const device of share.devices) holders[device]?.add(share.attempt);
    }
    const devices = holders
      .map((attempts, device) => ({ device, load: attempts.size }))
      .sort((a, b) => a.load - b.load || a.device - b.device)
      .slice(0, wanted)
      .map(({ device }) => device)
      .sort((a, b) => a - b);
    this.held.set(taskId, { attempt, devices });
    return devices;
  }

  /** The task ended (or never started): its attempt keeps its devices while another of its tasks runs here. */
  release(taskId: string): void {
    this.held.delete(taskId);
  }
}
