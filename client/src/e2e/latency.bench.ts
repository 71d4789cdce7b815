// Latency of one 30 s voice message from upload to proof on chain (median of several), and
// contributions per second, on the devnet of real processes; against the enclave's own scoring
// time for the same file measured in this run, so the host's overhead is visible as a ratio.
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { keccak256, toHex } from 'viem';
import { connectChannel, envelopeHeaderToJson } from '@audata/wire';
import { decodeAudio } from '../../../enclave/src/audio/decode/index.ts';
import { encodeWav } from '../../../enclave/src/audio/decode/encode-wav.ts';
import { FingerprintIndex } from '../../../enclave/src/audio/uniqueness.ts';
import { SileroVad } from '../../../enclave/src/audio/vad.ts';
import { createPipelineScorer } from '../../../enclave/src/runtime/pipeline-scorer.ts';
import { ROOT, startDevnet } from '../../../scripts/devnet/devnet.ts';
import { freePort } from '../../../scripts/devnet/ports.ts';
import { publicClientFor } from '../sdk/chain.ts';
import { loadClientConfig, loadDevRoot } from '../sdk/config.ts';
import { attestEnclave, awaitRecord, sealFile } from '../sdk/contribute.ts';
import { HostApi } from '../sdk/host-api.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? '7');
const BATCH = Number(process.env.BENCH_BATCH ?? '8');
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const ms = (x: number) => `${x.toFixed(0)} ms`;

/** The host's audata_host_scoring_seconds sums and counts by stage, from its metrics endpoint. */
async function scoringStages(hostUrl: string): Promise<Record<string, { sum: number; count: number }>> {
  const text = await (await fetch(`${hostUrl}/v1/metrics`)).text();
  const out: Record<string, { sum: number; count: number }> = {};
  for (const stage of ['queue', 'path', 'enclave', 'chain']) {
    const read = (kind: string) => Number(new RegExp(`^audata_host_scoring_seconds_${kind}\\{stage="${stage}"\\} (\\S+)$`, 'm').exec(text)?.[1] ?? 0);
    out[stage] = { sum: read('sum'), count: read('count') };
  }
  return out;
}

/** 30 s of real speech at 16 kHz: the asterisk prompts end to end, with a little noise so every copy differs. */
async function voiceMessage(seconds: number): Promise<Uint8Array> {
  const dir = join(ROOT, 'enclave', 'test-vectors', 'speech');
  const clips = ['ast-demo-nogo.wav', 'ast-vm-newpassword.wav', 'ast-agent-pass.wav', 'ast-conf-onlyperson.wav', 'ast-dir-nomore.wav', 'ast-demo-nomatch.wav', 'ast-vm-sorry.wav', 'ast-confbridge-inc-talk-vol-out.wav'];
  const pieces = await Promise.all(clips.map(async (c) => (await decodeAudio(new Uint8Array(readFileSync(join(dir, c))))).samples));
  const out = new Float32Array(seconds * 16000);
  for (let at = 0, i = 0; at < out.length; i++) {
    const piece = pieces[i % pieces.length]!.subarray(0, out.length - at);
    out.set(piece, at);
    at += piece.length;
  }
  const noise = randomBytes(out.length);
  for (let i = 0; i < out.length; i++) out[i] = out[i]! + (noise[i]! - 128) / 128 / 2000;
  return encodeWav([out], { sampleRate: 16000, encoding: 'pcm', bitsPerSample: 16 });
}

const messages = await Promise.all(Array.from({ length: RUNS + BATCH + 1 }, () => voiceMessage(30)));
console.log(`voice message: 30 s, 16 kHz mono WAV, ${messages[0]!.length} bytes; ${RUNS} sequential runs, then ${BATCH} at once`);

// Reference: the enclave's own scoring of the same audio, in this run, on this machine.
const vad = await SileroVad.load({ intraOpNumThreads: 1 });
const scorer = createPipelineScorer({ vad, index: new FingerprintIndex() });
const enclaveTimes: number[] = [];
for (let i = 0; i < RUNS; i++) {
  const audio = messages[i]!.slice();
  const started = performance.now();
  await scorer.score({ audio, contributor: '0x0000000000000000000000000000000000000001', manifestHash: keccak256(toHex(i)), manifest: { ciphertextSha256: keccak256(toHex(`ref ${i}`)) } } as never);
  enclaveTimes.push(performance.now() - started);
}
await vad.release?.();

mkdirSync(join(ROOT, '.data'), { recursive: true });
const dir = mkdtempSync(join(ROOT, '.data', 'bench-'));
const devnet = await startDevnet({ ports: { anvil: await freePort(), kms: await freePort(), enclave: await freePort(), host: await freePort() }, dataDir: join(dir, 'devnet'), ...(process.env.BENCH_ANCHOR_EVERY === undefined ? {} : { hostEnv: { AUDATA_ANCHOR_EVERY_STATES: process.env.BENCH_ANCHOR_EVERY } }) });
try {
  const config = loadClientConfig(devnet.clientConfigPath);
  const root = loadDevRoot(config, () => undefined);
  const contributor = { config, client: await publicClientFor(config.rpcUrl), host: new HostApi(config.hostUrl), ...(root === undefined ? {} : { root }) };
  const enclave = await attestEnclave(contributor);
  const account = devnet.contributors[0]!;
  const one = async (audio: Uint8Array) => {
    const sealed = await sealFile(contributor, enclave, account, [audio], 'en');
    const started = performance.now();
    await contributor.host.upload(sealed.header, sealed.ciphertext);
    const uploaded = performance.now();
    const seen: Record<string, number> = {};
    await awaitRecord(contributor, enclave, sealed, { timeoutMs: 120_000, onState: (state) => void (seen[state] = performance.now()) });
    const done = performance.now();
    phases.push({ upload: uploaded - started, scored: (seen.scored ?? seen.submitted ?? done) - uploaded, chain: done - (seen.scored ?? seen.submitted ?? done) });
    return done - started;
  };
  const phases: { upload: number; scored: number; chain: number }[] = [];
  await one(messages[RUNS + BATCH]!); // warm-up: first connection, JIT
  // The enclave process's own time for a file: the same requests the host sends, straight over
  // the channel (no HTTP, no queue, no chain), timed from the first request to the signed proof.
  const channel = await connectChannel({ host: '127.0.0.1', port: devnet.ports.enclave });
  const direct = async (audio: Uint8Array) => {
    const sealed = await sealFile(contributor, enclave, account, [audio], 'en');
    const bytes = Buffer.concat(sealed.ciphertext);
    const started = performance.now();
    const { body } = await channel.request('contribution.begin', { header: envelopeHeaderToJson(sealed.header) });
    for (let at = 0; at < bytes.length; at += 1 << 20) await channel.request('contribution.chunk', { session: body.session }, bytes.subarray(at, at + (1 << 20)));
    const finished = await channel.request('contribution.finish', { session: body.session });
    if (finished.body.proof === undefined) throw new Error('the enclave signed no proof');
    return performance.now() - started;
  };
  await direct(messages[RUNS + BATCH]!.slice());
  phases.length = 0;
  const stagesBefore = await scoringStages(config.hostUrl);
  const latencies: number[] = [];
  const enclaveProcess: number[] = [];
  // Each measurement starts on a quiet devnet: the last file's proof transaction and state
  // anchor (make run's devnet anchors every state) must not fall into the next one's time.
  const settle = () => new Promise((resolve) => setTimeout(resolve, 400));
  for (let i = 0; i < RUNS; i++) {
    await settle();
    enclaveProcess.push(await direct(messages[i]!));
    await settle();
    latencies.push(await one(messages[i]!));
  }
  channel.close();
  const stagesAfter = await scoringStages(config.hostUrl);
  const stage = (name: string) => (stagesAfter[name]!.sum - stagesBefore[name]!.sum) / Math.max(1, stagesAfter[name]!.count - stagesBefore[name]!.count) * 1000;

  const sealedBatch = await Promise.all(messages.slice(RUNS, RUNS + BATCH).map((audio) => sealFile(contributor, enclave, account, [audio], 'en')));
  const started = performance.now();
  await Promise.all(sealedBatch.map(async (sealed) => {
    await contributor.host.upload(sealed.header, sealed.ciphertext);
    await awaitRecord(contributor, enclave, sealed, { timeoutMs: 300_000 });
  }));
  const batchSeconds = (performance.now() - started) / 1000;

  const latency = median(latencies);
  const reference = median(enclaveProcess);
  const uploadPhase = median(phases.map((p) => p.upload));
  const scoredPhase = median(phases.map((p) => p.scored));
  const chainPhase = median(phases.map((p) => p.chain));
  const pct = (x: number) => `${((x / reference) * 100).toFixed(1)}%`;
  console.log(`pipeline alone (in this process, decode + score):            median ${ms(median(enclaveTimes))}  [${enclaveTimes.map((t) => t.toFixed(0)).join(', ')}]`);
  console.log(`enclave process alone (channel begin -> signed proof):      median ${ms(reference)}  [${enclaveProcess.map((t) => t.toFixed(0)).join(', ')}]`);
  console.log(`upload -> proof on chain (host, channel, enclave, chain):     median ${ms(latency)}  [${latencies.map((t) => t.toFixed(0)).join(', ')}]`);
  console.log(`  phases (median; the host answers status requests the moment a status changes):`);
  console.log(`    upload stored (transfer, hash, fsync, signature, record):  ${ms(uploadPhase)}`);
  console.log(`    stored -> proof kept by the host (queue, blob, channel, enclave, state and features stored): ${ms(scoredPhase)}`);
  console.log(`    proof kept -> on chain and read back (transaction, receipt, registry read): ${ms(chainPhase)}`);
  // Paired too: each run's host path against the enclave-alone run just before it, which
  // cancels the drift of a shared machine better than the difference of two medians.
  const paired = median(phases.map((p, i) => p.scored - enclaveProcess[i]!));
  console.log(`what the host adds to the enclave's scoring (stored -> proof kept, less the enclave process alone): ${ms(scoredPhase - reference)} = ${pct(scoredPhase - reference)}; paired by run ${ms(paired)} = ${pct(paired)} (target < 10%)`);
  // The host's own figures for the same files (audata_host_scoring_seconds): no run-to-run noise.
  const own = stage('queue') + stage('path') - stage('enclave');
  console.log(`the host's own account, mean per file: queue wait ${ms(stage('queue'))}, leased -> proof kept ${ms(stage('path'))}, of which with the enclave ${ms(stage('enclave'))}; its own work ${ms(own)} = ${((own / stage('enclave')) * 100).toFixed(1)}% of the enclave's part (target < 10%); transaction ${ms(stage('chain'))}`);
  console.log(`around it: the upload ${ms(uploadPhase)} = ${pct(uploadPhase)} and the chain ${ms(chainPhase)} = ${pct(chainPhase)} of the enclave's time; everything beyond the enclave ${ms(latency - reference)} = ${pct(latency - reference)}`);
  console.log(`latency target < 1000 ms: ${latency < 1000 ? 'met' : 'NOT met'}`);
  console.log(`throughput: ${BATCH} contributions at once in ${batchSeconds.toFixed(2)} s = ${(BATCH / batchSeconds).toFixed(2)} contributions/s on ${availableParallelism()} cores (host, enclave, chain and this client together); one file at a time through the enclave process alone: ${(1000 / reference).toFixed(2)}/s`);
} finally {
  await devnet.stop();
  rmSync(dir, { recursive: true, force: true });
}
