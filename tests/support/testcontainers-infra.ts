/*
 * The test infrastructure on a Docker engine instead of local processes: a KRaft Kafka broker and an
 * Apicurio Registry (kafkasql storage, Confluent API) in containers on one network. Used by the
 * vitest global setup when FRAUDSTREAM_TESTCONTAINERS=true; CI and these machines have no Docker
 * engine and use scripts/infra.sh instead.
 */
import { KafkaContainer, type StartedKafkaContainer } from '@testcontainers/kafka';
import {
  GenericContainer,
  Network,
  Wait,
  type StartedNetwork,
  type StartedTestContainer,
} from 'testcontainers';

export const KAFKA_IMAGE = 'confluentinc/cp-kafka:7.9.0';
export const REGISTRY_IMAGE = 'apicurio/apicurio-registry:3.0.9';
const KAFKA_ALIAS = 'kafka';

export interface ContainerInfra {
  readonly brokers: string;
  readonly registryUrl: string;
  stop(): Promise<void>;
}

export async function startContainerInfra(): Promise<ContainerInfra> {
  const network: StartedNetwork = await new Network().start();
  const kafka: StartedKafkaContainer = await new KafkaContainer(KAFKA_IMAGE)
    .withKraft()
    .withNetwork(network)
    .withNetworkAliases(KAFKA_ALIAS)
    .withEnvironment({ KAFKA_AUTO_CREATE_TOPICS_ENABLE: 'false' })
    .start();
  // The broker's in-network listener (BROKER://kafka:9092) serves the registry; the mapped 9093 serves the tests.
  const registry: StartedTestContainer = await new GenericContainer(REGISTRY_IMAGE)
    .withNetwork(network)
    .withEnvironment({
      APICURIO_STORAGE_KIND: 'kafkasql',
      APICURIO_KAFKASQL_BOOTSTRAP_SERVERS: `${KAFKA_ALIAS}:9092`,
      APICURIO_KAFKASQL_TOPIC: 'fraudstream.schemas',
    })
    .withExposedPorts(8080)
    .withWaitStrategy(Wait.forHttp('/apis/ccompat/v7/subjects', 8080).forStatusCode(200))
    .start();
  return {
    brokers: `${kafka.getHost()}:${kafka.getMappedPort(9093)}`,
    registryUrl: `http://${registry.getHost()}:${registry.getMappedPort(8080)}/apis/ccompat/v7`,
    stop: async () => {
      await registry.stop();
      await kafka.stop();
      await network.stop();
    },
  };
}
