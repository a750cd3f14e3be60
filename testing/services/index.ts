/** The real-service test harness: one import for suites. See each module for details. */
export { startPostgres, createTestDatabase, type PostgresService, type PostgresStartOptions, type TestDatabase } from './postgres.js';
export { startSparkThriftServer, sparkUnavailableReason, parseHiveUrl, provisionSpark, type HiveService, type SparkStartOptions, type SparkInstall } from './spark.js';
export { openHiveSession, type HiveSessionHandle, type HiveConnectOptions } from './hive-client.js';
export { startAzurite, azuriteConnectionString, AZURITE_ACCOUNT_NAME, AZURITE_ACCOUNT_KEY, type AzuriteService } from './azurite.js';
export { startS3, provisionMoto, type S3Service, type MotoInstall } from './s3.js';
export { serviceUnavailable, isServiceRequired, requiredServices, ServiceUnavailableError, SERVICE_NAMES, type ServiceName } from './require.js';
export { freePort } from './free-port.js';
export { waitFor, waitForPort, portAcceptsConnections, type WaitOptions } from './wait-port.js';
export { spawnDetached, stopProcessGroup, stopPid, pidAlive, processGroupMembers, descendants, type SpawnedProcess, type SpawnOptions, type ExitInfo } from './process.js';
export { txCacheDir, withFileLock } from './cache.js';
