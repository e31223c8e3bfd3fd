// bench/pull.mjs --profile: preloaded into a service (NODE_OPTIONS=--require); a CPU profile of
// its main thread is written to $BERTH_PROFILE_DIR when the process exits (worker threads are not
// profiled: a terminated worker runs no exit handler).
const { isMainThread } = require('node:worker_threads');
if (isMainThread) {
  const inspector = require('node:inspector');
  const fs = require('node:fs');
  const dir = process.env.BERTH_PROFILE_DIR;
  const name = `${process.pid}-${process.argv[1].split('/').slice(-3, -2)[0]}-main`;
  const session = new inspector.Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: 500 });
  session.post('Profiler.start');
  let part = 0;
  const save = () =>
    session.post('Profiler.stop', (err, result) => {
      if (!err) fs.writeFileSync(`${dir}/${name}-${part++}.cpuprofile`, JSON.stringify(result.profile));
    });
  process.on('exit', save);
}
