/*
 * A trainer killed between the registry write and the publish, for the announcement tests: it
 * promotes ANNOUNCE_VERSION through the real DeploymentAnnouncer on the registry at MODEL_STORE_ROOT,
 * and SIGKILLs itself at the moment the deployment events would be sent.
 */
import 'reflect-metadata';
import { loadConfig } from '@fraudstream/config';
import { FileSystemModelStore, ModelRegistry, localKeyRingKeys } from '@fraudstream/registry';
import { DeploymentAnnouncer } from '@fraudstream/training';
import { z } from 'zod';

const config = loadConfig(
  z.object({ MODEL_STORE_ROOT: z.string().min(1), ANNOUNCE_VERSION: z.string().min(1) }),
);

async function main(): Promise<void> {
  const registry = new ModelRegistry(new FileSystemModelStore(config.MODEL_STORE_ROOT), localKeyRingKeys());
  const announcer = new DeploymentAnnouncer(registry, {
    publish: () => {
      process.kill(process.pid, 'SIGKILL');
      return new Promise<void>(() => undefined);
    },
  });
  await announcer.transition(config.ANNOUNCE_VERSION, 'PRODUCTION', {
    actor: 'trainer:doomed',
    reason: 'promoted just before the crash',
    eventTime: 1_767_571_200_000,
  });
}

main().catch((error: unknown) => {
  // eslint-disable-next-line no-console -- a test fixture's entry point reports its own crash
  console.error(error);
  process.exit(1);
});
