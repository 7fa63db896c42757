/**
 * The platform team's alarms: every alarm pages the ops topic as soon as its metric goes above zero
 * (a function error, a message in a dead-letter queue, a record the approval sweep could not read).
 */
import { CloudwatchMetricAlarm, type CloudwatchMetricAlarmConfig } from '../../framework/aws';
import type { KmsKey } from '../../framework/aws';
import { SnsTopic } from '../../framework/aws';
import type { SecurityContext } from './context';

type AlarmMetric = Pick<
  CloudwatchMetricAlarmConfig,
  'namespace' | 'metricName' | 'dimensions' | 'statistic' | 'period'
>;

export class OpsAlarms {
  readonly topic: SnsTopic;

  constructor(
    private readonly ctx: SecurityContext,
    key: KmsKey,
  ) {
    this.topic = new SnsTopic(ctx.scope, 'ops-topic', {
      provider: ctx.provider,
      name: `${ctx.prefix}-ops-alarms`,
      kmsMasterKeyId: key.arn,
    });
  }

  /** Pages the platform team (ops topic) as soon as a metric goes above zero. */
  aboveZero(id: string, alarmName: string, description: string, metric: AlarmMetric): CloudwatchMetricAlarm {
    return new CloudwatchMetricAlarm(this.ctx.scope, id, {
      provider: this.ctx.provider,
      alarmName,
      alarmDescription: description,
      ...metric,
      evaluationPeriods: 1,
      threshold: 0,
      comparisonOperator: 'GreaterThanThreshold',
      treatMissingData: 'notBreaching',
      alarmActions: [this.topic.arn],
      okActions: [this.topic.arn],
    });
  }

  /**
   * A scheduled function that has not run: fewer than one invocation in each of `periods` periods of
   * `periodSeconds`. Missing data (Lambda publishes nothing for a function nobody invokes) breaches.
   */
  notInvoked(fn: string, periodSeconds: number, periods: number, consequence: string): CloudwatchMetricAlarm {
    return new CloudwatchMetricAlarm(this.ctx.scope, `${fn}-not-invoked-alarm`, {
      provider: this.ctx.provider,
      alarmName: `${fn}-not-running`,
      alarmDescription: `The ${fn} function has not run for ${periods} × ${periodSeconds / 60} minutes; ${consequence}`,
      namespace: 'AWS/Lambda',
      metricName: 'Invocations',
      dimensions: { FunctionName: fn },
      statistic: 'Sum',
      period: periodSeconds,
      evaluationPeriods: periods,
      threshold: 1,
      comparisonOperator: 'LessThanThreshold',
      treatMissingData: 'breaching',
      alarmActions: [this.topic.arn],
      okActions: [this.topic.arn],
    });
  }

  /** A dead-letter queue that holds a message. */
  onDlq(id: string, queueName: string, what: string): CloudwatchMetricAlarm {
    return this.aboveZero(id, `${queueName}-not-empty`, `${what} Inspect, fix and redrive.`, {
      namespace: 'AWS/SQS',
      metricName: 'ApproximateNumberOfMessagesVisible',
      dimensions: { QueueName: queueName },
      statistic: 'Maximum',
      period: 60,
    });
  }

  /** A queue whose oldest message waited longer than `seconds` (`<queue name without .fifo>-backlog`). */
  onBacklog(id: string, queueName: string, seconds: number, what: string): CloudwatchMetricAlarm {
    const alarm = this.aboveZero(id, `${queueName.replace(/\.fifo$/, '')}-backlog`, what, {
      namespace: 'AWS/SQS',
      metricName: 'ApproximateAgeOfOldestMessage',
      dimensions: { QueueName: queueName },
      statistic: 'Maximum',
      period: 300,
    });
    alarm.threshold = seconds;
    return alarm;
  }

  /** A function that failed invocations. */
  onErrors(fn: string, consequence: string): CloudwatchMetricAlarm {
    return this.aboveZero(
      `${fn}-errors-alarm`,
      `${fn}-errors`,
      `The ${fn} function failed invocations; ${consequence}`,
      {
        namespace: 'AWS/Lambda',
        metricName: 'Errors',
        dimensions: { FunctionName: fn },
        statistic: 'Sum',
        period: 300,
      },
    );
  }
}
