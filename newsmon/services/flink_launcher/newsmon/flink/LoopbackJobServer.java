/*
 * newsmon's launcher for Apache Beam's Flink job server (used by newsmon.services.flink).
 *
 * Beam's own FlinkJobServerDriver (2.62.0) binds its job and artifact services on every interface,
 * whatever --job-host says (its ServerFactory builds gRPC servers with NettyServerBuilder.forPort).
 * This driver takes the same command-line options and runs the same job service (FlinkJobInvoker)
 * but binds both gRPC servers to the --job-host address only (127.0.0.1 for newsmon's local
 * service). It also exits with status 1 when a port cannot be bound, instead of idling without a
 * server as the stock driver does.
 */
package newsmon.flink;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.beam.model.pipeline.v1.Endpoints;
import org.apache.beam.runners.flink.FlinkJobInvoker;
import org.apache.beam.runners.flink.FlinkJobServerDriver;
import org.apache.beam.runners.jobsubmission.JobServerDriver;
import org.apache.beam.sdk.fn.server.GrpcContextHeaderAccessorProvider;
import org.apache.beam.sdk.fn.server.ServerFactory;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.vendor.grpc.v1p60p1.io.grpc.BindableService;
import org.apache.beam.vendor.grpc.v1p60p1.io.grpc.Server;
import org.apache.beam.vendor.grpc.v1p60p1.io.grpc.ServerInterceptors;
import org.apache.beam.vendor.grpc.v1p60p1.io.grpc.netty.NettyServerBuilder;

/** The Flink job server, with its gRPC services bound to one address. */
public final class LoopbackJobServer extends JobServerDriver {

  private LoopbackJobServer(FlinkJobServerDriver.FlinkServerConfiguration config) {
    super(
        config,
        new BoundServerFactory(config.getHost()),
        new BoundServerFactory(config.getHost()),
        () -> FlinkJobInvoker.create(config));
  }

  public static void main(String[] args) throws InterruptedException {
    FileSystems.setDefaultPipelineOptions(PipelineOptionsFactory.create());
    LoopbackJobServer server = new LoopbackJobServer(FlinkJobServerDriver.parseArgs(args));
    try {
      String url = server.start();
      System.out.println("newsmon: job server listening on " + url);
    } catch (IOException | RuntimeException e) {
      System.err.println("newsmon: the job server could not start: " + e);
      System.exit(1);
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  server.stop();
                  stopped.countDown();
                }));
    while (!stopped.await(1, TimeUnit.HOURS)) {
      // serve until the JVM is asked to stop (SIGTERM)
    }
  }

  /** gRPC servers bound to one address (Beam's default factory binds the wildcard address). */
  static final class BoundServerFactory extends ServerFactory {
    private final String host;

    BoundServerFactory(String host) {
      this.host = host;
    }

    @Override
    public Server allocateAddressAndCreate(
        List<BindableService> services, Endpoints.ApiServiceDescriptor.Builder builder)
        throws IOException {
      Server server = build(services, new InetSocketAddress(InetAddress.getByName(host), 0));
      builder.setUrl(host + ":" + server.getPort());
      return server;
    }

    @Override
    public Server create(List<BindableService> services, Endpoints.ApiServiceDescriptor descriptor)
        throws IOException {
      String url = descriptor.getUrl();
      int colon = url.lastIndexOf(':');
      if (colon < 0) {
        throw new IOException("expected host:port, got " + url);
      }
      int port = Integer.parseInt(url.substring(colon + 1));
      return build(services, new InetSocketAddress(InetAddress.getByName(host), port));
    }

    private static Server build(List<BindableService> services, InetSocketAddress address)
        throws IOException {
      NettyServerBuilder builder =
          NettyServerBuilder.forAddress(address).maxInboundMessageSize(Integer.MAX_VALUE);
      for (BindableService service : services) {
        builder.addService(
            ServerInterceptors.intercept(service, GrpcContextHeaderAccessorProvider.interceptor()));
      }
      return builder.build().start();
    }
  }
}
