import { describe, expect, it } from "vitest";
import { ADMIT_PER_TICK, AdmissionQueue, MAX_ADMISSION_WAIT_MS } from "../../../common/grpc/admission.js";

class FakeSocket {
  destroyed = false;
  constructor(readonly id: number) {}
  destroy() {
    this.destroyed = true;
  }
}

function setup() {
  let busy = false;
  let now = 0;
  let ticking = false;
  const admitted: number[] = [];
  const sheds: number[] = [];
  const q = new AdmissionQueue<FakeSocket>(
    () => busy,
    (s) => sheds.push(s.shed),
    () => now,
    () => {
      ticking = true;
      return { unref() {} } as NodeJS.Timeout;
    },
  );
  const offer = (id: number) => {
    const s = new FakeSocket(id);
    q.offer(s, () => admitted.push(id));
    return s;
  };
  return {
    q,
    offer,
    admitted,
    sheds,
    setBusy: (b: boolean) => (busy = b),
    advance: (ms: number) => (now += ms),
    ticking: () => ticking,
  };
}

describe("AdmissionQueue (handshake admission)", () => {
  it("hands a connection on at once while the process keeps up", () => {
    const t = setup();
    t.offer(1);
    t.offer(2);
    expect(t.admitted).toEqual([1, 2]);
    expect(t.q.stats()).toEqual({ waiting: 0, deferred: 0, shed: 0 });
    expect(t.ticking()).toBe(false);
  });

  it("holds connections while busy and lets them through in arrival order, a tick's worth at a time", () => {
    const t = setup();
    t.setBusy(true);
    for (let i = 0; i < ADMIT_PER_TICK + 5; i++) t.offer(i);
    expect(t.admitted).toEqual([]);
    t.q.drain();
    expect(t.admitted).toEqual([]);
    t.setBusy(false);
    // Someone is waiting: a newcomer queues behind them even though the process is not busy.
    t.offer(999);
    expect(t.admitted).toEqual([]);
    t.q.drain();
    expect(t.admitted).toEqual([...Array(ADMIT_PER_TICK).keys()]);
    t.q.drain();
    expect(t.admitted).toEqual([...Array(ADMIT_PER_TICK + 5).keys(), 999]);
    expect(t.q.stats()).toMatchObject({ waiting: 0, deferred: ADMIT_PER_TICK + 6 });
  });

  it("drops connections their clients closed while waiting, and closes ones that waited too long", () => {
    const t = setup();
    t.setBusy(true);
    const gone = t.offer(1);
    t.offer(2);
    gone.destroy();
    t.advance(MAX_ADMISSION_WAIT_MS - 1);
    const late = t.offer(3);
    t.advance(1);
    t.q.drain();
    expect(t.q.stats()).toEqual({ waiting: 1, deferred: 3, shed: 1 });
    expect(t.sheds).toEqual([1]);
    t.setBusy(false);
    t.q.drain();
    expect(t.admitted).toEqual([3]);
    expect(late.destroyed).toBe(false);
  });

  it("closes every waiting connection when the listener closes", () => {
    const t = setup();
    t.setBusy(true);
    const a = t.offer(1);
    const b = t.offer(2);
    t.q.close();
    expect([a.destroyed, b.destroyed]).toEqual([true, true]);
    expect(t.q.stats().waiting).toBe(0);
  });
});
