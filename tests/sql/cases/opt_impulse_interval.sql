-- args: -p 2
-- sort
-- impulse with event_time_interval (microseconds) and base_time (epoch
-- milliseconds): message k of each subtask has event time base + k * 250 ms.
CREATE TABLE i WITH (connector = 'impulse', event_rate = '1000000', message_count = '3',
                     event_time_interval = '250000', base_time = '1704067200000');
SELECT counter, subtask_index, _timestamp AS t FROM i;
