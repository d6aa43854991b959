// App settings `AzureFunctionsJobHost__...` override host.json values, as on Azure.
import { applyHostJsonOverrides } from './hostJsonOverrides';
import { parseHostJson } from './hostJson';

const hostJson = {
  version: '2.0',
  extensions: { queues: { maxPollingInterval: '00:00:02', batchSize: 16 } },
};

test('a setting replaces the value at its path, matching keys case-insensitively, typed as host.json holds it', () => {
  const raw = applyHostJsonOverrides(hostJson, {
    AzureFunctionsJobHost__extensions__queues__maxPollingInterval: '00:00:00.250',
    AZUREFUNCTIONSJOBHOST__Extensions__Queues__BatchSize: '4',
    AzureFunctionsJobHost__extensions__http__routePrefix: 'v1',
    PATH: '/usr/bin',
  });
  const options = parseHostJson(raw);
  expect(options.queues.maxPollingIntervalMs).toBe(250);
  expect(options.queues.batchSize).toBe(4);
  expect(options.routePrefix).toBe('v1');
  expect(hostJson.extensions.queues.maxPollingInterval).toBe('00:00:02'); // the input is not changed
});

test('a malformed override is refused naming the setting or the host.json field', () => {
  expect(() => applyHostJsonOverrides(hostJson, { AzureFunctionsJobHost__extensions____x: '1' })).toThrow(
    /AzureFunctionsJobHost__extensions____x/,
  );
  const raw = applyHostJsonOverrides(hostJson, {
    AzureFunctionsJobHost__extensions__queues__maxPollingInterval: 'soon',
  });
  expect(() => parseHostJson(raw)).toThrow(/extensions\.queues\.maxPollingInterval/);
});
