-- event_time_interval as an interval text, base_time as RFC 3339.
CREATE TABLE i WITH (connector = 'impulse', event_rate = '1000000', message_count = '3',
                     event_time_interval = '1 second', base_time = '2024-01-01T00:00:00Z');
SELECT counter, _timestamp AS t FROM i;
