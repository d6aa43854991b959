#!/usr/bin/env node
// A toy training script for parameter sweeps (Node.js, no dependencies): "trains" for --epochs epochs and prints
// the sweep metric lines `##batchai[metric] accuracy=<v> loss=<v> step=<epoch>`. Accuracy peaks at lr = 0.01, so
// a sweep over lr can be checked by eye. The sweep passes lr on the command line ({parameters.lr}) and in
// AZ_BATCHAI_PARAM_LR; the script insists they agree.
'use strict';

function argument(name, fallback) {
  const at = process.argv.indexOf(`--${name}`);
  if (at < 0) return fallback;
  const value = Number(process.argv[at + 1]);
  if (!Number.isFinite(value)) {
    console.error(`--${name} must be a number; it is '${process.argv[at + 1]}'`);
    process.exit(2);
  }
  return value;
}

const lr = argument('lr', undefined);
const epochs = argument('epochs', 5);
const epochSeconds = argument('epoch-seconds', 1);
if (lr === undefined || lr <= 0) {
  console.error('--lr is required and must be positive');
  process.exit(2);
}
const fromEnvironment = process.env.AZ_BATCHAI_PARAM_LR;
if (fromEnvironment !== undefined && Number(fromEnvironment) !== lr) {
  console.error(`AZ_BATCHAI_PARAM_LR (${fromEnvironment}) differs from --lr (${lr})`);
  process.exit(3);
}

// Quality of the learning rate: 1 at lr = 0.01, falling off with the distance in decades (0 from 3 decades away).
const quality = Math.max(0, 1 - (Math.log10(lr) + 2) ** 2 / 9);
let epoch = 0;

function trainOneEpoch() {
  epoch += 1;
  const accuracy = quality * (1 - 0.5 ** epoch);
  const loss = 1 - accuracy;
  console.log(`epoch ${epoch}/${epochs} lr ${lr}`);
  console.log(`##batchai[metric] accuracy=${accuracy.toFixed(6)} loss=${loss.toFixed(6)} step=${epoch}`);
  if (epoch < epochs) setTimeout(trainOneEpoch, epochSeconds * 1000);
}

process.on('SIGTERM', () => {
  console.log(`stopped at epoch ${epoch}`);
  process.exit(143);
});
trainOneEpoch();
