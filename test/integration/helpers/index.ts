export type { KafkaSecurityInfo, MachineInfo, StackInfo } from './context.js';
export { randomName } from './names.js';
export { QmpTestClient, type QmpEvent } from './qmp.js';
export { consumeUntil, createTopics, kafkaClient, machine, produceInTransaction, s3Client, stack } from './stack.js';
export { startTestVm, type TestVm, type TestVmOptions } from './vm.js';
