/* A one-broker Kafka cluster on librdkafka's in-memory mock
 * (rdkafka_mock.h), used as a stand-in for corelogd: by the integration tests
 * to check that the real clients and the test scripts work on a machine
 * (CORELOG_TEST_BROKER=mock), and by the benchmarks as a baseline peer.
 *
 * It accepts corelogd's command line and ignores it (the mock chooses its own
 * port and keeps everything in memory), prints the same ready line on stdout
 *   corelogd ready kafka=HOST:PORT metrics=none
 * and runs until SIGTERM or SIGINT, then exits 0. Auto-created topics get
 * the mock's default partition count (4), not --num-partitions. */
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--help") == 0) {
      printf("usage: %s [corelogd flags, ignored]\n", argv[0]);
      return 0;
    }
  }

  /* Block the stop signals before librdkafka starts its threads so that only
   * sigwait() below receives them. */
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);

  char errstr[512];
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  /* The handle only hosts the mock cluster; it never connects anywhere. */
  if (rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof errstr) !=
      RD_KAFKA_CONF_OK) {
    fprintf(stderr, "mock_broker: %s\n", errstr);
    return 1;
  }
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
  if (rk == NULL) {
    fprintf(stderr, "mock_broker: rd_kafka_new: %s\n", errstr);
    return 1;
  }
  rd_kafka_mock_cluster_t *cluster = rd_kafka_mock_cluster_new(rk, 1);
  if (cluster == NULL) {
    fprintf(stderr, "mock_broker: cannot create the mock cluster\n");
    rd_kafka_destroy(rk);
    return 1;
  }

  printf("corelogd ready kafka=%s metrics=none\n",
         rd_kafka_mock_cluster_bootstraps(cluster));
  fflush(stdout);

  int sig = 0;
  sigwait(&stop_signals, &sig);
  fprintf(stderr, "mock_broker: signal %d, stopping\n", sig);

  rd_kafka_mock_cluster_destroy(cluster);
  rd_kafka_destroy(rk);
  return 0;
}
