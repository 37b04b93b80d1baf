"""The channel layer with REDIS_URL: channels_redis's pub/sub layer, which also says when its subscriptions
to Redis were lost and came back.

Pub/sub costs one PUBLISH per group send and pushes each message to the processes subscribed to the
group; the storing layer (channels_redis.core) pays four round trips to send and four more to receive
every message. Both deliver at most once (the database is the log). But pub/sub fails quietly: while
Redis is away its messages are simply gone, and redis-py re-subscribes when Redis is back, so a
teacher's live view would go on without the events it missed. So once the subscriptions are back,
every connection of this process gets a `session.resubscribed` message; the consumer then closes it
and the client reconnects and resyncs, as after a server restart.
"""

import asyncio

from channels_redis.pubsub import RedisPubSubChannelLayer, RedisPubSubLoopLayer, RedisSingleShardConnection
from channels_redis.utils import _wrap_close

RESUBSCRIBED = "session.resubscribed"


class _Shard(RedisSingleShardConnection):
    _watched = None  # the subscription connection whose reconnects we hear of

    async def subscribe(self, channel):
        await super().subscribe(channel)
        connection = self._pubsub.connection if self._pubsub is not None else None
        if connection is not None and connection is not self._watched:
            # Registered after the first connect: every call from now on is a reconnect.
            self._watched = connection
            connection.register_connect_callback(self._reconnected)

    async def _reconnected(self, connection):
        loop_layer = self.channel_layer
        message = loop_layer.channel_layer.serialize({"type": RESUBSCRIBED})
        for queue in list(loop_layer.channels.values()):
            queue.put_nowait(message)


class _LoopLayer(RedisPubSubLoopLayer):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._shards = [_Shard(shard.host, self) for shard in self._shards]


class ResyncingPubSubChannelLayer(RedisPubSubChannelLayer):
    def _get_layer(self):
        loop = asyncio.get_running_loop()
        layer = self._layers.get(loop)
        if layer is None:
            layer = self._layers[loop] = _LoopLayer(*self._args, **self._kwargs, channel_layer=self)
            _wrap_close(self, loop)
        return layer
