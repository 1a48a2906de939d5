import { afterEach, describe, expect, it } from "vitest";
import { OutboxSender, type EventBody } from "../../../agent/link/index.js";
import { AgentStore } from "../../../agent/state/index.js";
import { silentLogger } from "../../../common/index.js";

const stores: AgentStore[] = [];
afterEach(() => {
  while (stores.length) stores.pop()!.close();
});

function setup(window = 256) {
  const store = AgentStore.openFile(":memory:");
  stores.push(store);
  const sent: EventBody[] = [];
  const link = { up: false, sendEvent: (b: EventBody) => (link.up ? (sent.push(b), true) : false) };
  const sender = new OutboxSender(link, store.outbox, silentLogger(), window);
  const add = (n: number) =>
    store.outbox.append({
      type: n % 2 ? "report" : "drift",
      payloadJson: JSON.stringify({ n }),
      driftId: n % 2 ? null : `d${n}`,
    });
  const seqs = () => sent.map((b) => ("report" in b ? b.report.eventSeq : b.drift.eventSeq));
  return { store, link, sender, add, sent, seqs };
}

describe("outbox sender", () => {
  it("sends nothing before a welcome; after it drops what the controller has and replays the rest in order", () => {
    const t = setup();
    for (let i = 1; i <= 5; i++) t.add(i);
    t.sender.flush();
    expect(t.sent).toEqual([]);
    t.link.up = true;
    t.sender.onWelcome(2);
    expect(t.seqs()).toEqual([3, 4, 5]);
    expect(t.store.outbox.pending(0).map((e) => e.eventSeq)).toEqual([3, 4, 5]);
    expect(t.sent[0]).toEqual({ report: { n: 3, eventSeq: 3 } });
    expect(t.sent[1]).toEqual({ drift: { n: 4, eventSeq: 4 } });
  });

  it("sends new entries once, deletes on ack, and replays the unacknowledged after a reconnect", () => {
    const t = setup();
    t.link.up = true;
    t.sender.onWelcome(0);
    t.add(1);
    t.add(2);
    t.sender.flush();
    t.sender.flush();
    expect(t.seqs()).toEqual([1, 2]);
    t.sender.onAck(1);
    expect(t.store.outbox.pending(0).map((e) => e.eventSeq)).toEqual([2]);
    t.sender.onDisconnect();
    t.link.up = false;
    t.add(3);
    t.sender.flush();
    t.link.up = true;
    t.sender.onWelcome(1);
    expect(t.seqs()).toEqual([1, 2, 2, 3]);
  });

  it("keeps at most `window` entries unacknowledged", () => {
    const t = setup(2);
    for (let i = 1; i <= 5; i++) t.add(i);
    t.link.up = true;
    t.sender.onWelcome(0);
    expect(t.seqs()).toEqual([1, 2]);
    t.sender.onAck(2);
    expect(t.seqs()).toEqual([1, 2, 3, 4]);
    t.sender.onAck(4);
    expect(t.seqs()).toEqual([1, 2, 3, 4, 5]);
  });

  it("continues numbering after the controller's when it has stored more than this outbox numbered", () => {
    const t = setup();
    t.link.up = true;
    t.sender.onWelcome(40);
    expect(t.add(1).eventSeq).toBe(41);
  });

  it("renumbers and sends events recorded offline when the controller is ahead of this outbox (review finding)", () => {
    const t = setup();
    for (let i = 1; i <= 3; i++) t.add(i);
    t.link.up = true;
    t.sender.onWelcome(10);
    expect(t.seqs()).toEqual([11, 12, 13]);
    expect(t.sent.map((b) => JSON.parse(JSON.stringify("report" in b ? b.report : b.drift)).n)).toEqual([1, 2, 3]);
    expect(t.add(4).eventSeq).toBe(14);
    t.sender.onAck(13);
    expect(t.store.outbox.pending(0).map((e) => e.eventSeq)).toEqual([14]);
  });

  it("does not delete entries acknowledged beyond what was sent", () => {
    const t = setup(2);
    t.link.up = true;
    t.sender.onWelcome(0);
    for (let i = 1; i <= 4; i++) t.add(i);
    t.sender.flush();
    expect(t.seqs()).toEqual([1, 2]);
    t.sender.onAck(4);
    expect(t.store.outbox.pending(0).map((e) => e.eventSeq)).toEqual([3, 4]);
    expect(t.seqs()).toEqual([1, 2, 3, 4]);
  });
});
