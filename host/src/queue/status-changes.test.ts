import { expect } from 'chai';
import { StatusChanges } from './status-changes.ts';

describe('StatusChanges', () => {
  it('wakes every wait on a file when it changes, and only those', async () => {
    const changes = new StatusChanges();
    const woken: string[] = [];
    const a1 = changes.next('a', 10_000).then(() => woken.push('a1'));
    const a2 = changes.next('a', 10_000).then(() => woken.push('a2'));
    const b = changes.next('b', 50).then(() => woken.push('b'));
    expect(changes.waiting).to.equal(3);
    changes.notify('a');
    await Promise.all([a1, a2]);
    expect(woken).to.deep.equal(['a1', 'a2']);
    expect(changes.waiting).to.equal(1);
    await b;
    expect(woken).to.deep.equal(['a1', 'a2', 'b']);
    expect(changes.waiting).to.equal(0);
  });

  it('ends a wait when its caller goes away, and forgets it', async () => {
    const changes = new StatusChanges();
    const abort = new AbortController();
    const waited = changes.next('a', 10_000, abort.signal);
    abort.abort();
    await waited;
    expect(changes.waiting).to.equal(0);
    changes.notify('a'); // nothing left to wake
    await changes.next('a', 1, abort.signal); // an aborted signal ends at once
  });

  it('answers at once beyond its cap on waiters, so waiting cannot exhaust memory', async () => {
    const changes = new StatusChanges({ maxWaiters: 2 });
    const held = [changes.next('a', 10_000), changes.next('b', 10_000)];
    const started = Date.now();
    await changes.next('c', 10_000);
    expect(Date.now() - started).to.be.lessThan(1000);
    expect(changes.waiting).to.equal(2);
    changes.notify('a');
    changes.notify('b');
    await Promise.all(held);
    expect(changes.waiting).to.equal(0);
  });
});
