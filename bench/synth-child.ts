/** Child of bench/synth.ts: one full synth (as `npm run synth` does), then reports its peak RSS. */
import { App } from '../framework/cdktf';
import { loadConfig } from '../config/load';
import { stampingEnabled } from '../build/member-stamps';
import { buildApp, synthApp } from '../app';

synthApp(buildApp(new App({ stackTraces: false }), loadConfig(), { stampMembers: stampingEnabled() }));
console.log(`peakRssKiB=${process.resourceUsage().maxRSS}`);
