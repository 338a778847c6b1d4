/**
 * What test/integration/globalSetup.ts hands to integration tests through vitest's
 * provide/inject (also exported as env vars, listed next to each field, for code that reads
 * its config from the environment, e.g. the agent and processor under test).
 */

/** Connection details of the local stack (infra/stack.sh), all on 127.0.0.1. */
export interface StackInfo {
  /** KAFKA_BROKERS, e.g. ['127.0.0.1:39321']. Topics are not auto-created. */
  kafkaBrokers: string[];
  s3: {
    /** S3_ENDPOINT, e.g. http://127.0.0.1:38733 (S3Proxy, filesystem backend) */
    endpoint: string;
    /** S3_REGION, always us-east-1 */
    region: string;
    /** S3_ACCESS_KEY / S3_SECRET_KEY, generated per run (SigV4 works) */
    accessKeyId: string;
    secretAccessKey: string;
    /** S3_FORCE_PATH_STYLE: S3Proxy on 127.0.0.1 needs path-style addressing. */
    forcePathStyle: true;
  };
  /**
   * The same broker's secured listeners (infra/kafka/start.sh), for tests of the clients'
   * TLS/SASL options. Everything else uses the PLAINTEXT listener (kafkaBrokers).
   */
  kafkaSecurity: KafkaSecurityInfo;
  /** QMPIPE_RUN_DIR: pid files, data, VM dirs of this test run. */
  runDir: string;
  /** QMPIPE_LOG_DIR: kafka.log, s3proxy.log, vm-<name>.console.log, ... */
  logDir: string;
  /** QMPIPE_QMP_DIR: agent QMP sockets of test VMs (<name>.qmp), for agent discovery. */
  qmpDir: string;
  /** Measured start-up times in seconds. */
  startSeconds: { kafka: number; s3: number };
}

/** Secured listeners of the test broker; certificates and passwords are made per run. */
export interface KafkaSecurityInfo {
  /** KAFKA_SASL_SSL_BROKERS: server TLS (certificate of caFile, SAN 127.0.0.1) + SASL SCRAM-SHA-512, SCRAM-SHA-256, PLAIN. */
  saslSslBrokers: string[];
  /** KAFKA_SSL_BROKERS: TLS with ssl.client.auth=required (certFile/keyFile are accepted). */
  sslBrokers: string[];
  /** KAFKA_TLS_DIR: ca.pem, client.pem, client.key (PEM; the key is unencrypted PKCS#8). */
  tlsDir: string;
  caFile: string;
  certFile: string;
  keyFile: string;
  /** KAFKA_SCRAM_USER / KAFKA_SCRAM_PASSWORD: a SCRAM-SHA-512 and SCRAM-SHA-256 user. */
  scram: { username: string; password: string };
  /** KAFKA_PLAIN_USER / KAFKA_PLAIN_PASSWORD: a SASL/PLAIN user. */
  plain: { username: string; password: string };
}

/** What this machine can do; tests skip (saying why) only on these. */
export interface MachineInfo {
  /** The accelerator test VMs get by default: 'kvm' only if the test guest boots under it. */
  accel: 'kvm' | 'tcg';
  /** /dev/kvm opens read-write (a KVM VM can run and serve query-stats). */
  kvm: boolean;
  kvmReason: string;
  /** A loop device could be attached (needed for the ENOSPC pause on a thin qcow2). */
  loop: boolean;
  loopReason: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    qmpipeStack: StackInfo;
    qmpipeMachine: MachineInfo;
  }
}
