// `make run`: the main job on embedded defaults. Grows with the project; today it shows
// the commands the `audata` executable offers.
import { main } from '../client/src/cli/main.ts';
import { processIo } from '@audata/wire';

process.exitCode = await main(['--help'], processIo);
