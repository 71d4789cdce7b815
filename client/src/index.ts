// The Audata client SDK: what contributors, buyers and auditors run on their own devices.
export { main } from './cli/main.ts';
