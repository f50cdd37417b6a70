import { Argument, type Command } from 'commander';
import { INSTANCE_JOB_NAMES, type InstanceJobName } from '../instances';
import { InstanceJobsService } from '../instances';
import { run } from './cli-args';
import type { CliRuntime } from './cli-runtime';

/** `instances run-job <job>`: one recovery job now, its report as JSON. */
export function registerInstanceCommands(program: Command, runtime: CliRuntime): void {
  program
    .command('instances')
    .description("logic-solution's instances: the recovery jobs")
    .command('run-job')
    .description('run one recovery job now and print its report')
    .addArgument(new Argument('<job>', 'the job').choices(INSTANCE_JOB_NAMES))
    .action(
      run(runtime, (job: InstanceJobName) =>
        runtime.withApp('require-current')(async (app) => {
          runtime.io.out(await app.get(InstanceJobsService).run(job, 'manual'));
          return 0;
        }),
      ),
    );
}
