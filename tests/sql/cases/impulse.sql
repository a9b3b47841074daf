-- args: -p 2
-- sort
CREATE TABLE impulse WITH (connector = 'impulse', event_rate = '1000000', message_count = '5');
SELECT counter, subtask_index, counter * 2 AS twice FROM impulse;
